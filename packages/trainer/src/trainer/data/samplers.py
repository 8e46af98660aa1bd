"""Which blocks each rank reads at each micro-step: deterministic from (seed, step), so a run resumes at any step.

The order of blocks is an epoch-seeded permutation. ``Sampler`` (fixed batch size): global batch ``step``
takes positions ``[step*B, (step+1)*B)`` of the concatenated epochs, cut into micro-batch *chunks*; rank
``r`` at micro-step ``k`` gets chunk ``k*world + r``, so 2 ranks x 1 micro-step see exactly what 1 rank x 2
micro-steps sees. ``TokenBudgetSampler`` (DOC-SENTENCES' dynamic batch size, paper §4.2): step ``s`` takes
the blocks whose first token falls in ``[s*target, (s+1)*target)`` of the epoch-permuted token stream, so each
step holds ~``target`` tokens and a variable number of sequences, split evenly over micro-steps and ranks.

Usage: ``sampler = Sampler(len(ds), seed=0, batch_size=32, micro_batch=16, world=1); idx = sampler.chunk(step, k, r)``
"""

from __future__ import annotations

import numpy as np

from trainer.errors import TrainerError


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


class TokenBudgetSampler:
    """Dynamic batch sizes with a fixed token budget per step (same interface as ``Sampler``).

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
