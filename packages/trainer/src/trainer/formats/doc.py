"""DOC-SENTENCES (paper §4.2) and the batch-size bookkeeping that keeps tokens per batch comparable.

DOC-SENTENCES packs whole sentences like FULL-SENTENCES but never crosses a document boundary, so blocks near
the end of a document are short. The paper "dynamically increases the batch size" to keep the number of
tokens per step similar to FULL-SENTENCES; ``TokenBudgetSampler`` does that: optimizer step ``s`` takes the
blocks whose first token falls in ``[s*target, (s+1)*target)`` of the epoch-permuted token stream, so each
step holds ~``target`` tokens and a variable number of sequences, split evenly over micro-steps and ranks.

Usage: ``sampler = TokenBudgetSampler(lengths, seed=0, tokens_per_step=32*120, accum=2, world=1)``
"""

from __future__ import annotations

import numpy as np
from tokenizer.shards import TokenShard

from trainer.data import FullSentences, Specials, pack_full_sentences
from trainer.errors import TrainerError
from trainer.formats_pair import pack_within_docs


class DocSentences:
    """DOC-SENTENCES: ``<s> s1 s2 ... </s>``, whole sentences of one document per block."""

    nsp = False
    dynamic_batch = True

    def __init__(self, seq_len: int, specials: Specials, *, seed: int = 0) -> None:
        if seq_len < 8:
            raise TrainerError(f"seq_len {seq_len} too small (need >= 8)")
        self.seq_len, self.sp = seq_len, specials

    def index(self, shard: TokenShard) -> np.ndarray:
        return pack_within_docs(np.asarray(shard.sents), np.asarray(shard.docs), self.seq_len - 2)

    def block(self, shard: TokenShard, span: np.ndarray) -> np.ndarray:
        toks = np.asarray(shard.tokens[int(span[0]) : int(span[1])], dtype=np.int64)
        return np.concatenate([[self.sp.bos], toks, [self.sp.eos]])

    @staticmethod
    def lengths(spans: np.ndarray) -> np.ndarray:
        return spans[:, 1] - spans[:, 0] + 2


def full_sentences_lengths(shards: list[TokenShard], seq_len: int) -> np.ndarray:
    """Block lengths (with specials and document separators) FULL-SENTENCES would give on ``shards``."""
    out = []
    for sh in shards:
        docs = np.asarray(sh.docs, dtype=np.int64)
        spans = pack_full_sentences(np.asarray(sh.sents), docs, seq_len - 2)
        inner = np.searchsorted(docs, spans[:, 1]) - np.searchsorted(docs, spans[:, 0] + 1)
        out.append(spans[:, 1] - spans[:, 0] + 2 + inner)
    return np.concatenate(out) if out else np.zeros(0, np.int64)


def block_lengths(ds) -> np.ndarray:
    """Length of every block of a ``BlockDataset`` (formats without ``lengths`` are materialised)."""
    fmt = ds.fmt
    if hasattr(fmt, "lengths"):
        return fmt.lengths(ds.spans)
    if isinstance(fmt, FullSentences):
        return full_sentences_lengths(ds.shards, ds.seq_len)
    return np.asarray([len(ds.block(i)) for i in range(len(ds))], dtype=np.int64)


def matched_batch_size(ds, full_mean: float, batch_size: int, multiple: int = 1) -> int:
    """Sequences per step so that ``ds``'s tokens per step match ``batch_size`` FULL-SENTENCES blocks of
    mean length ``full_mean`` (how the paper sizes SENTENCE-PAIR's batch), rounded to ``multiple``."""
    mean = float(block_lengths(ds).mean())
    raw = batch_size * full_mean / mean
    return max(multiple, int(round(raw / multiple)) * multiple)


class TokenBudgetSampler:
    """Dynamic batch sizes with a fixed token budget per step (same interface as ``trainer.data.Sampler``).

    Deterministic from (seed, step) like ``Sampler``: the epoch order is a seeded permutation and step
    boundaries are cut points of the cumulative token count, so a resumed run sees the same batches."""

    def __init__(
        self, lengths: np.ndarray, *, seed: int, tokens_per_step: int, accum: int, world: int
    ) -> None:
        self.lengths = np.asarray(lengths, dtype=np.int64)
        if len(self.lengths) == 0 or tokens_per_step <= 0:
            raise TrainerError("dynamic batching needs blocks and a positive token budget")
        if tokens_per_step < int(self.lengths.max()):
            raise TrainerError(
                f"token budget {tokens_per_step} is below the longest block ({int(self.lengths.max())})"
            )
        self.seed, self.target, self.accum, self.world = seed, int(tokens_per_step), accum, world
        self.n, self.total = len(self.lengths), int(self.lengths.sum())
        self._cache: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def _epoch(self, epoch: int) -> tuple[np.ndarray, np.ndarray]:
        """(permutation, global start offset of each permuted block) of one epoch."""
        if epoch not in self._cache:
            if len(self._cache) > 2:
                self._cache.clear()
            perm = np.random.default_rng([self.seed, epoch]).permutation(self.n)
            starts = epoch * self.total + np.concatenate([[0], np.cumsum(self.lengths[perm])[:-1]])
            self._cache[epoch] = (perm, starts)
        return self._cache[epoch]

    def step_blocks(self, step: int) -> np.ndarray:
        """All block indices of optimizer step ``step`` (those starting in its token window)."""
        lo, hi = step * self.target, (step + 1) * self.target
        out = []
        for epoch in range(lo // self.total, (hi - 1) // self.total + 1):
            perm, starts = self._epoch(epoch)
            a, b = np.searchsorted(starts, [lo, hi], side="left")
            out.append(perm[a:b])
        return np.concatenate(out)

    def chunk_id(self, micro_step: int, rank: int) -> int:
        return micro_step * self.world + rank

    def chunk(self, step: int, micro_step: int, rank: int) -> np.ndarray:
        """Block indices for ``rank`` at ``micro_step``: an even share of the step's variable block list."""
        parts = np.array_split(self.step_blocks(step), self.accum * self.world)
        return parts[self.chunk_id(micro_step, rank)]

    def epoch(self, step: int) -> float:
        return step * self.target / self.total
