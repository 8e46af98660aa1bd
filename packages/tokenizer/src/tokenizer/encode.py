"""Encode one document into ids plus sentence lengths, and one work unit of documents into token shards.

Fast path (byte-level BPE through tiktoken): the whole document is encoded once and the sentence boundaries
(``tokenizer.sentences``, always pre-token boundaries) are found among the token boundaries by byte offset; this
equals encoding each sentence on its own, and is checked: if a boundary is not a token boundary the document is
re-encoded sentence by sentence. Other tokenizers encode sentence by sentence.

Usage: ``ids, sent_lens = encode_document(tok, text)``
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from tokenizer.bpe import Tokenizer
from tokenizer.sentences import sentence_offsets
from tokenizer.shards import write_flat_token_shard


def _byte_offsets(text: str, char_offsets: list[int]) -> np.ndarray:
    if text.isascii():
        return np.asarray(char_offsets, dtype=np.int64)
    out, pos, nbytes = [], 0, 0
    for c in char_offsets:
        nbytes += len(text[pos:c].encode("utf-8"))
        out.append(nbytes)
        pos = c
    return np.asarray(out, dtype=np.int64)


def encode_by_sentence(tok: Tokenizer, text: str) -> tuple[np.ndarray, np.ndarray]:
    """Reference path: encode each sentence on its own; return (ids, sentence token lengths)."""
    offs = [*sentence_offsets(text), len(text)]
    parts = [tok.encode_array(text[a:b]) for a, b in zip(offs, offs[1:], strict=False)]
    lens = np.array([len(p) for p in parts], dtype=np.int64)
    ids = np.concatenate(parts) if parts else np.zeros(0, np.uint32)
    return ids, lens


def encode_document(
    tok: Tokenizer, text: str, byte_lens: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Ids of ``text`` and the token length of each sentence (sums to ``len(ids)``).

    ``byte_lens`` (``tok.token_byte_lengths()``, pass it to avoid recomputing) enables the fast path.
    """
    if not tok.fast or byte_lens is None:
        return encode_by_sentence(tok, text)
    ids = tok.encode_array(text)
    char_offs = sentence_offsets(text)
    if len(char_offs) == 1:
        return ids, np.array([len(ids)], dtype=np.int64)
    ends = np.concatenate([[0], np.cumsum(byte_lens[ids])])
    want = _byte_offsets(text, char_offs)
    at = np.searchsorted(ends, want)
    if np.any(at >= len(ends)) or np.any(ends[np.minimum(at, len(ends) - 1)] != want):
        return encode_by_sentence(tok, text)  # not expected for byte-level BPE; kept exact regardless
    lens = np.diff(np.concatenate([at, [len(ids)]])).astype(np.int64)
    return ids, lens


def is_valid_doc(key: str, fraction: float, seed: int = 0) -> bool:
    """Deterministic held-out choice: a hash of the document key falls below ``fraction``."""
    if fraction <= 0:
        return False
    h = hashlib.blake2b(f"{seed}:{key}".encode(), digest_size=8).digest()
    return int.from_bytes(h, "little") / 2**64 < fraction


@dataclass
class UnitResult:
    """What one work unit wrote: manifest entries per split and its counts."""

    index: int
    entries: dict[str, dict] = field(default_factory=dict)
    n_docs: int = 0
    n_bytes: int = 0
    n_tokens: int = 0
    first_key: str = ""


def encode_unit(
    tok: Tokenizer,
    folder: str,
    index: int,
    docs: Sequence[tuple[str, str]],
    valid_fraction: float,
    seed: int = 0,
) -> UnitResult:
    """Encode ``docs`` (``(key, text)`` pairs) into ``train-{index:05d}`` / ``valid-{index:05d}`` shards."""
    byte_lens = tok.token_byte_lengths() if tok.fast else None
    parts: dict[str, tuple[list[np.ndarray], list[np.ndarray]]] = {"train": ([], []), "valid": ([], [])}
    res = UnitResult(index=index, n_docs=len(docs), first_key=docs[0][0] if docs else "")
    for key, text in docs:
        ids, lens = encode_document(tok, text, byte_lens)
        ids_list, lens_list = parts["valid" if is_valid_doc(key, valid_fraction, seed) else "train"]
        ids_list.append(ids)
        lens_list.append(lens)
        res.n_bytes += len(text.encode("utf-8"))
        res.n_tokens += len(ids)
    for split, (ids_list, lens_list) in parts.items():
        if ids_list:
            res.entries[split] = write_flat_token_shard(
                folder,
                f"{split}-{index:05d}",
                np.concatenate(ids_list),
                sent_lens=np.concatenate(lens_list),
                sents_per_doc=np.array([len(x) for x in lens_list], dtype=np.int64),
                vocab_size=tok.vocab_size,
            )
    return res
