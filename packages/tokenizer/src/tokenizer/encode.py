"""Encode documents into ids plus sentence lengths, and one work unit of documents into token shards.

Fast path (byte-level BPE through tiktoken): each document is encoded once and the sentence boundaries
(``tokenizer.sentences``, always pre-token boundaries) are found among the token boundaries by byte offset; this
equals encoding each sentence on its own (tested), and is checked: if a boundary is not a token boundary the
documents are re-encoded sentence by sentence. Other tokenizers always encode sentence by sentence.

Usage: ``ids, sent_lens = encode_document(tok, text)``
"""

from __future__ import annotations

import hashlib
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from tokenizer.bpe import Tokenizer
from tokenizer.sentences import sentence_offsets, sentence_token_starts, token_tables
from tokenizer.shards import write_flat_token_shard


def encode_by_sentence(tok: Tokenizer, text: str) -> tuple[np.ndarray, np.ndarray]:
    """Reference path: encode each sentence on its own; return (ids, sentence token lengths)."""
    offs = [*sentence_offsets(text), len(text)]
    parts = [tok.encode_array(text[a:b]) for a, b in zip(offs, offs[1:], strict=False) if b > a]
    lens = np.array([len(p) for p in parts], dtype=np.int64)
    ids = np.concatenate(parts) if parts else np.zeros(0, np.uint32)
    return ids, lens


_TABLES: weakref.WeakKeyDictionary[Tokenizer, dict[str, np.ndarray]] = weakref.WeakKeyDictionary()


def _tables(tok: Tokenizer) -> dict[str, np.ndarray]:
    if tok not in _TABLES:
        _TABLES[tok] = token_tables(tok._id_bytes)
    return _TABLES[tok]


@dataclass
class EncodedBatch:
    """Documents encoded together: all ids, tokens per sentence, sentences per document."""

    ids: np.ndarray
    sent_lens: np.ndarray
    sents_per_doc: np.ndarray

    def documents(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """``(ids, sentence lengths)`` of each document."""
        out, s, t = [], 0, 0
        for n in self.sents_per_doc.tolist():
            lens = self.sent_lens[s : s + n]
            k = int(lens.sum())
            out.append((self.ids[t : t + k], lens))
            s, t = s + n, t + k
        return out


def _by_sentence_batch(tok: Tokenizer, texts: Sequence[str]) -> EncodedBatch:
    docs = [encode_by_sentence(tok, t) for t in texts]
    return EncodedBatch(
        ids=np.concatenate([d[0] for d in docs]) if docs else np.zeros(0, np.uint32),
        sent_lens=np.concatenate([d[1] for d in docs]) if docs else np.zeros(0, np.int64),
        sents_per_doc=np.array([len(d[1]) for d in docs], dtype=np.int64),
    )


def encode_documents(tok: Tokenizer, texts: Sequence[str]) -> EncodedBatch:
    """Encode non-empty ``texts`` with their sentence boundaries (equal to ``encode_by_sentence`` on each).

    Fast path (byte-level BPE through tiktoken): each document is encoded once, and the boundaries are found
    among the token boundaries of the whole batch with ``sentences.sentence_token_starts``.
    """
    if not tok.fast or not texts or not all(texts):
        return _by_sentence_batch(tok, texts)
    parts = [tok.encode_array(t) for t in texts]
    ids = np.concatenate(parts)
    doc_starts = np.concatenate([[0], np.cumsum([p.size for p in parts])[:-1]]).astype(np.int64)
    ends = np.cumsum(tok.token_byte_lengths()[ids])
    data = b"".join(t.encode("utf-8") for t in texts)
    starts = sentence_token_starts(data, ids, ends, doc_starts, _tables(tok))
    if starts is None:
        return _by_sentence_batch(tok, texts)  # not expected for byte-level BPE; kept exact regardless
    bounds = np.union1d(doc_starts, starts)
    return EncodedBatch(
        ids=ids,
        sent_lens=np.diff(np.concatenate([bounds, [ids.size]])).astype(np.int64),
        sents_per_doc=np.diff(np.searchsorted(bounds, np.concatenate([doc_starts, [ids.size]]))).astype(
            np.int64
        ),
    )


def prepare(tok: Tokenizer) -> None:
    """Build the fast encoder and the tables ``encode_documents`` uses (~1 s), e.g. once before forking."""
    if tok.fast:
        _tables(tok)
        tok.token_byte_lengths()


def encode_document(tok: Tokenizer, text: str) -> tuple[np.ndarray, np.ndarray]:
    """Ids of ``text`` and the token length of each sentence (sums to ``len(ids)``)."""
    if not text:
        return np.zeros(0, np.uint32), np.zeros(0, np.int64)
    batch = encode_documents(tok, [text])
    return batch.ids, batch.sent_lens


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
    res = UnitResult(index=index, n_docs=len(docs), first_key=docs[0][0] if docs else "")
    groups: dict[str, list[str]] = {"train": [], "valid": []}
    for key, text in docs:
        groups["valid" if is_valid_doc(key, valid_fraction, seed) else "train"].append(text)
        res.n_bytes += len(text) if text.isascii() else len(text.encode("utf-8"))
    for split, texts in groups.items():
        if not texts:
            continue
        batch = encode_documents(tok, texts)
        res.n_tokens += int(batch.ids.size)
        res.entries[split] = write_flat_token_shard(
            folder,
            f"{split}-{index:05d}",
            batch.ids,
            sent_lens=batch.sent_lens,
            sents_per_doc=batch.sents_per_doc,
            vocab_size=tok.vocab_size,
        )
    return res
