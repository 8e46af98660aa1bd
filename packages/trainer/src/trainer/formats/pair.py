"""Paired input formats with next-sentence prediction (paper §4.2, BERT's original setup), for Table 2.

SEGMENT-PAIR+NSP: each input is a pair of *segments* (runs of whole sentences) of at most ``seq_len - 4``
tokens together. SENTENCE-PAIR+NSP: each input is a pair of single *sentences* (much shorter inputs, so the
paper raises the batch size to keep tokens per batch equal; see ``trainer.formats.doc.matched_batch_size``).
In both, segment B is the contiguous continuation of A in the same document (NSP label 1) or a span from
another document (label 0), exactly half of each over a shard. The layout is RoBERTa's pair layout
``<s> A </s></s> B </s>`` (no token-type embeddings, as in the RoBERTa model).

Pairs are drawn once when the shard is indexed, deterministically from (seed, shard name), as BERT's
preprocessing did; masks stay dynamic (or static, see ``trainer.formats.static``). A span row is
``[a_start, a_end, b_start, b_end, is_next]`` (token offsets into the shard); ``nsp_labels`` reads column 4.

Usage: ``ds = BlockDataset(shards, SegmentPair(512, specials), 512, specials.pad); y = nsp_labels(ds, idx)``
"""

from __future__ import annotations

import zlib
from typing import Any

import numpy as np
from tokenizer import TokenShard

from trainer.data.blocks import Specials
from trainer.data.packing import pack_within_docs, split_long
from trainer.errors import TrainerError
from trainer.formats.base import InputFormat

PAIR_SPECIALS = 4  # <s> A </s></s> B </s>


def balanced_labels(n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` labels, ceil(n/2) ones and floor(n/2) zeros in random order: exactly 50/50 per shard."""
    return rng.permutation(np.arange(n) < (n + 1) // 2).astype(np.int64)


def shard_rng(seed: int, shard: TokenShard) -> np.random.Generator:
    """The pairing RNG of one shard: depends on the seed and the shard's name only (stable across runs)."""
    return np.random.default_rng([seed, zlib.crc32(shard.name.encode())])


def random_other_doc_starts(
    shard: TokenShard, sents: np.ndarray, own_doc: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """For each entry of ``own_doc``: a sentence start in a uniformly drawn *other* document, and that
    document's end offset (so a B segment taken from there never runs into the next document)."""
    docs = np.asarray(shard.docs, dtype=np.int64)
    n_docs = len(docs) - 1
    if n_docs < 2:
        raise TrainerError(f"shard {shard.name}: NSP formats need at least 2 documents, found {n_docs}")
    other = rng.integers(0, n_docs - 1, size=len(own_doc))
    other += other >= own_doc  # skip the own document: uniform over the n_docs - 1 others
    first = np.searchsorted(sents, docs[other])
    last = np.searchsorted(sents, docs[other + 1])  # exclusive: index of the next document's first sentence
    pick = rng.integers(first, np.maximum(last, first + 1))
    return sents[pick], docs[other + 1]


class PairFormat(InputFormat):
    """Shared block layout and NSP labels of the two NSP formats."""

    nsp = True
    min_seq_len = 16

    def __init__(self, seq_len: int, specials: Specials, *, seed: int = 0) -> None:
        super().__init__(seq_len, specials, seed=seed)
        self.budget = seq_len - PAIR_SPECIALS

    def _too_small(self, seq_len: int) -> str:
        return f"seq_len {seq_len} too small for a pair format (need >= {self.min_seq_len})"

    def block(self, shard: TokenShard, span: np.ndarray) -> np.ndarray:
        a = np.asarray(shard.tokens[int(span[0]) : int(span[1])], dtype=np.int64)
        b = np.asarray(shard.tokens[int(span[2]) : int(span[3])], dtype=np.int64)
        sp = self.sp
        return np.concatenate([[sp.bos], a, [sp.eos, sp.eos], b, [sp.eos]])

    @staticmethod
    def lengths(spans: np.ndarray) -> np.ndarray:
        """Tokens of each block including the four specials."""
        return spans[:, 1] - spans[:, 0] + spans[:, 3] - spans[:, 2] + PAIR_SPECIALS

    def block_lengths(self, ds: Any) -> np.ndarray:
        return self.lengths(ds.spans)

    def nsp_targets(self, ds: Any, indices: np.ndarray) -> np.ndarray | None:
        return nsp_labels(ds, indices)


class SegmentPair(PairFormat):
    """SEGMENT-PAIR+NSP: chunks of whole sentences within a document (at most ``seq_len - 4`` tokens) split
    at a random sentence boundary into A and B; for half of them B is replaced by an equally long span
    starting at a sentence of another document."""

    name = "segment-pair"

    def index(self, shard: TokenShard) -> np.ndarray:
        rng = shard_rng(self.seed, shard)
        sents = split_long(np.asarray(shard.sents, dtype=np.int64), self.budget)
        chunks = pack_within_docs(sents, np.asarray(shard.docs), self.budget)
        chunks = chunks[chunks[:, 1] - chunks[:, 0] >= 2]  # A and B need a token each
        if len(chunks) == 0:
            return np.zeros((0, 5), np.int64)
        # split point: a sentence start strictly inside the chunk, or the middle token for one-sentence chunks
        lo = np.searchsorted(sents, chunks[:, 0], side="right")
        hi = np.searchsorted(sents, chunks[:, 1], side="left")
        has_inner = hi > lo
        pick = rng.integers(lo, np.maximum(hi, lo + 1))
        split = np.where(
            has_inner, sents[np.minimum(pick, len(sents) - 1)], (chunks[:, 0] + chunks[:, 1]) // 2
        )
        is_next = balanced_labels(len(chunks), rng)
        own_doc = np.searchsorted(np.asarray(shard.docs), chunks[:, 0], side="right") - 1
        start, doc_end = random_other_doc_starts(shard, sents, own_doc, rng)
        need = chunks[:, 1] - split
        b_start = np.where(is_next == 1, split, start)
        b_end = np.where(is_next == 1, chunks[:, 1], np.minimum(start + need, doc_end))
        return np.stack([chunks[:, 0], split, b_start, b_end, is_next], axis=1).astype(np.int64)


class SentencePair(PairFormat):
    """SENTENCE-PAIR+NSP: A is one sentence, B the next sentence of the same document or a random sentence
    of another document. Each sentence is cut to ``(seq_len - 4) // 2`` tokens so every pair fits."""

    name = "sentence-pair"

    def index(self, shard: TokenShard) -> np.ndarray:
        rng = shard_rng(self.seed, shard)
        sents = split_long(np.asarray(shard.sents, dtype=np.int64), self.budget // 2)
        docs = np.asarray(shard.docs, dtype=np.int64)
        starts, ends = sents[:-1], sents[1:]
        # candidate A: every sentence whose successor is in the same document
        cand = np.flatnonzero(~np.isin(ends[:-1], docs))
        if len(cand) == 0:
            return np.zeros((0, 5), np.int64)
        is_next = balanced_labels(len(cand), rng)
        own_doc = np.searchsorted(docs, starts[cand], side="right") - 1
        other, _ = random_other_doc_starts(shard, sents, own_doc, rng)
        other_idx = np.searchsorted(sents, other)
        b_idx = np.where(is_next == 1, cand + 1, np.minimum(other_idx, len(starts) - 1))
        return np.stack([starts[cand], ends[cand], starts[b_idx], ends[b_idx], is_next], axis=1).astype(
            np.int64
        )


def nsp_labels(ds, indices: np.ndarray) -> np.ndarray | None:
    """NSP labels (1 = B follows A) of the given blocks of a ``BlockDataset``, or None for a format
    without NSP. Works through ``StaticDuplicates`` too (it maps virtual indices to blocks)."""
    base = getattr(ds, "base", ds)
    if not base.fmt.nsp:
        return None
    blocks = np.asarray(indices) % len(base)
    return base.spans[blocks, 4].astype(np.int64)
