"""Encode documents into ids plus the token length of each sentence (what a token shard stores).

Fast path (byte-level BPE through tiktoken): each document is encoded once and the sentence boundaries
(``tokenizer.encode.sentences``, always pre-token boundaries) are found among the token boundaries by byte offset; this
equals encoding each sentence on its own (tested), and is checked: if a boundary is not a token boundary the
documents are re-encoded sentence by sentence. Other tokenizers always encode sentence by sentence.

Usage: ``ids, sent_lens = encode_document(tok, text)``
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from tokenizer.bpe import Tokenizer
from tokenizer.encode.sentences import sentence_offsets, sentence_token_starts, token_tables


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
