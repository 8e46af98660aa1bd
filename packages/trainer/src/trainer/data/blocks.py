"""Token shards -> packed blocks -> batches, deterministic from (seed, step) so a run resumes at any step.

An *input format* turns one memory-mapped shard into a block index (one ``(start, end)`` token span per block)
and materialises a block as ids with specials. FULL-SENTENCES (paper §4.2, the RoBERTa default) packs whole
sentences into blocks of at most ``seq_len`` tokens including ``<s>`` and ``</s>``, crossing document
boundaries with a ``</s>`` separator. Other formats (SEGMENT-PAIR+NSP, DOC-SENTENCES) register in ``FORMATS``
with the same two methods. Only the index (two int64 per block) lives in memory; tokens stay memory-mapped.

The order of blocks is an epoch-seeded permutation; global batch ``step`` takes positions
``[step*B, (step+1)*B)`` of the concatenated epochs, cut into micro-batch *chunks*: rank ``r`` at micro-step
``k`` gets chunk ``k*world + r``, so 2 ranks x 1 micro-step see exactly what 1 rank x 2 micro-steps sees.

Usage: ``ds = BlockDataset.open(folder, "train", seq_len=512); ids = ds.batch(sampler.chunk(step, k, r))``
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from tokenizer.shards import ShardError, TokenShard, open_shards, read_manifest

from trainer.errors import TrainerError


@dataclass(frozen=True, kw_only=True)
class Specials:
    """Special-token ids; RoBERTa's layout when the manifest does not say."""

    bos: int = 0
    pad: int = 1
    eos: int = 2
    unk: int = 3
    mask: int = 50264

    @classmethod
    def from_manifest(cls, manifest: dict[str, Any]) -> Specials:
        got = manifest.get("specials") or {}
        vocab = int(manifest["vocab_size"])
        return cls(
            bos=int(got.get("bos", 0)),
            pad=int(got.get("pad", 1)),
            eos=int(got.get("eos", 2)),
            unk=int(got.get("unk", 3)),
            mask=int(got.get("mask", vocab - 1)),
        )

    def ids(self) -> list[int]:
        return [self.bos, self.pad, self.eos, self.unk, self.mask]


class InputFormat(Protocol):
    """How a shard becomes blocks. ``index`` -> (n_blocks, 2) int64 spans; ``block`` -> ids with specials."""

    def index(self, shard: TokenShard) -> np.ndarray: ...

    def block(self, shard: TokenShard, span: np.ndarray) -> np.ndarray: ...


def split_long(sents: np.ndarray, limit: int) -> np.ndarray:
    """Sentence offsets with extra cut points so no piece exceeds ``limit`` tokens (rare very long lines)."""
    lengths = np.diff(sents)
    long = np.flatnonzero(lengths > limit)
    if long.size == 0:
        return sents
    extra = [np.arange(sents[i] + limit, sents[i + 1], limit) for i in long]
    return np.union1d(sents, np.concatenate(extra))


def pack_full_sentences(sents: np.ndarray, docs: np.ndarray, budget: int) -> np.ndarray:
    """Greedy FULL-SENTENCES packing: (n_blocks, 2) token spans, each a run of whole sentences whose length
    plus one separator per document start inside the block fits ``budget`` (= seq_len - 2 for <s>, </s>).

    One ``searchsorted`` per block, not a Python step per sentence. Sentences longer than the budget are cut.
    """
    sents = split_long(np.asarray(sents, dtype=np.int64), budget)
    n = len(sents) - 1
    if n <= 0:
        return np.zeros((0, 2), np.int64)
    is_doc = np.isin(sents[:-1], docs)
    # cost[j] = tokens of sentences [0, j) plus a separator for every document start among them
    cost = np.concatenate([[0], np.cumsum(np.diff(sents) + is_doc)])
    spans = []
    i = 0
    while i < n:
        # the first sentence of a block needs no separator, so it gets its doc-start token back
        limit = cost[i] + budget + int(is_doc[i])
        j = int(np.searchsorted(cost, limit, side="right")) - 1
        j = max(j, i + 1)
        spans.append((sents[i], sents[j]))
        i = j
    return np.asarray(spans, dtype=np.int64)


class FullSentences:
    """FULL-SENTENCES: ``<s> s1 s2 </s> s3 ... </s>`` with ``</s>`` between documents."""

    def __init__(self, seq_len: int, specials: Specials) -> None:
        if seq_len < 8:
            raise TrainerError(f"seq_len {seq_len} too small (need >= 8)")
        self.seq_len = seq_len
        self.sp = specials

    def index(self, shard: TokenShard) -> np.ndarray:
        return pack_full_sentences(np.asarray(shard.sents), np.asarray(shard.docs), self.seq_len - 2)

    def block(self, shard: TokenShard, span: np.ndarray) -> np.ndarray:
        s, e = int(span[0]), int(span[1])
        toks = np.asarray(shard.tokens[s:e], dtype=np.int64)
        lo, hi = np.searchsorted(shard.docs, [s + 1, e])  # document starts strictly inside the block
        inner = np.asarray(shard.docs[lo:hi], dtype=np.int64) - s
        toks = np.insert(toks, inner, self.sp.eos) if inner.size else toks
        return np.concatenate([[self.sp.bos], toks, [self.sp.eos]])


FORMATS = {"full-sentences": FullSentences}


def make_format(name: str, seq_len: int, specials: Specials) -> InputFormat:
    if name not in FORMATS:
        raise TrainerError(f"unknown data.format {name!r} (choose from {', '.join(FORMATS)})")
    return FORMATS[name](seq_len, specials)


class BlockDataset:
    """Every block of one split across all shards: the shard of each block and its token span."""

    def __init__(self, shards: list[TokenShard], fmt: InputFormat, seq_len: int, pad: int) -> None:
        self.shards, self.fmt, self.seq_len, self.pad = shards, fmt, seq_len, pad
        spans = [fmt.index(s) for s in shards]
        self.spans = np.concatenate(spans) if spans else np.zeros((0, 2), np.int64)
        self.shard_of = (
            np.concatenate([np.full(len(sp), i, np.int32) for i, sp in enumerate(spans)])
            if spans
            else np.zeros(0, np.int32)
        )

    @classmethod
    def open(
        cls,
        folder: str | Path,
        split: str,
        *,
        seq_len: int,
        fmt: str = "full-sentences",
        verify: bool = False,
    ) -> BlockDataset:
        """Open ``split`` of a shard folder; one-line ``TrainerError`` when missing, corrupt or empty."""
        try:
            manifest = read_manifest(folder)
            shards = open_shards(folder, split, verify=verify)
        except ShardError as e:
            raise TrainerError(str(e)) from None
        sp = Specials.from_manifest(manifest)
        ds = cls(shards, make_format(fmt, seq_len, sp), seq_len, sp.pad)
        if len(ds) == 0:
            raise TrainerError(f"split {split!r} of {folder} has no tokens")
        return ds

    def __len__(self) -> int:
        return len(self.spans)

    def block(self, i: int) -> np.ndarray:
        return self.fmt.block(self.shards[self.shard_of[i]], self.spans[i])

    def batch(self, indices: np.ndarray) -> np.ndarray:
        """(len(indices), seq_len) int64 ids, right-padded with ``<pad>``."""
        out = np.full((len(indices), self.seq_len), self.pad, dtype=np.int64)
        for row, i in enumerate(indices):
            b = self.block(int(i))
            out[row, : len(b)] = b
        return out


class Sampler:
    """Deterministic block order: epoch ``e`` is a permutation seeded by (seed, e); see module docstring."""

    def __init__(self, n_blocks: int, *, seed: int, batch_size: int, micro_batch: int, world: int) -> None:
        self.n, self.seed, self.batch_size, self.micro, self.world = (
            n_blocks,
            seed,
            batch_size,
            micro_batch,
            world,
        )
        self._perm_epoch, self._perm = -1, np.zeros(0, np.int64)

    def _perm_for(self, epoch: int) -> np.ndarray:
        if epoch != self._perm_epoch:
            self._perm = np.random.default_rng([self.seed, epoch]).permutation(self.n)
            self._perm_epoch = epoch
        return self._perm

    def chunk_id(self, micro_step: int, rank: int) -> int:
        return micro_step * self.world + rank

    def chunk(self, step: int, micro_step: int, rank: int) -> np.ndarray:
        """Block indices for ``rank`` at ``micro_step`` of optimizer step ``step``."""
        start = step * self.batch_size + self.chunk_id(micro_step, rank) * self.micro
        pos = np.arange(start, start + self.micro, dtype=np.int64)
        out = np.empty(self.micro, np.int64)
        for epoch in np.unique(pos // self.n):
            sel = pos // self.n == epoch
            out[sel] = self._perm_for(int(epoch))[pos[sel] % self.n]
        return out

    def epoch(self, step: int) -> float:
        return step * self.batch_size / self.n


def derive_batch(batch_size: int, micro_batch: int, world: int) -> tuple[int, int]:
    """(micro_batch, accumulation) so that micro x accum x world == batch; a clear error otherwise.
    The micro-batch shrinks to batch / world when that is smaller (e.g. a tiny ``--batch-size``)."""
    if batch_size > 0 and batch_size % world == 0:
        micro_batch = min(micro_batch, batch_size // world)
    per = micro_batch * world
    if batch_size <= 0 or micro_batch <= 0 or batch_size % per:
        raise TrainerError(
            f"batch size {batch_size} is not divisible by micro_batch {micro_batch} x world size {world} "
            f"(= {per}); pick --batch-size as a multiple of {per} or change --optim.micro_batch"
        )
    return micro_batch, batch_size // per
