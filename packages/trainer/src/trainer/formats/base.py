"""``InputFormat``: the one interface behind which the paper's input formats differ (§4.1-4.2, Tables 1-2).

A format decides how a shard becomes blocks (``index``, ``block``) and everything the training loop would
otherwise branch on:

- ``nsp`` / ``nsp_targets``: whether the model gets a next-sentence-prediction head and each block's label
  (SEGMENT-PAIR, SENTENCE-PAIR);
- ``sampler``: fixed batch size, or DOC-SENTENCES' token budget per step (dynamic batch size);
- ``train_view`` / ``mask``: the training set as sampled and how a micro-batch is masked (static masking
  duplicates the set and fixes each copy's mask; every other format masks dynamically per step);
- ``block_lengths``: tokens of every block (for token-matched batch sizes).

The defaults here are FULL-SENTENCES' choices (no NSP, fixed batches, dynamic masks), so a format overrides
only what differs. The loop calls these methods and never asks which format it has.

Usage: ``fmt = FORMATS["doc-sentences"](seq_len, specials); sampler = fmt.sampler(ds, seed=0, ...)``
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

import numpy as np
import torch
from tokenizer import TokenShard

from trainer.data.blocks import Specials
from trainer.data.samplers import Sampler
from trainer.errors import TrainerError
from trainer.masking import Masker


class InputFormat(ABC):
    """How a shard becomes blocks, and what that implies for sampling, masking and NSP (see module doc)."""

    name: ClassVar[str]
    nsp: ClassVar[bool] = False  # the model needs an NSP head and nsp_targets gives labels
    min_seq_len: ClassVar[int] = 8

    def __init__(self, seq_len: int, specials: Specials, *, seed: int = 0) -> None:
        if seq_len < self.min_seq_len:
            raise TrainerError(self._too_small(seq_len))
        self.seq_len, self.sp, self.seed = seq_len, specials, seed

    def _too_small(self, seq_len: int) -> str:
        return f"seq_len {seq_len} too small (need >= {self.min_seq_len})"

    @abstractmethod
    def index(self, shard: TokenShard) -> np.ndarray:
        """One span row per block (token offsets into ``shard``), int64."""

    @abstractmethod
    def block(self, shard: TokenShard, span: np.ndarray) -> np.ndarray:
        """The ids of one block, specials included (at most ``seq_len``)."""

    def block_lengths(self, ds: Any) -> np.ndarray:
        """Tokens of every block of ``ds`` (a ``BlockDataset`` in this format); materialises by default."""
        return np.asarray([len(ds.block(i)) for i in range(len(ds))], dtype=np.int64)

    def train_view(self, ds: Any) -> Any:
        """The training set as the sampler sees it; the blocks themselves unless the format duplicates them."""
        return ds

    def sampler(
        self, ds: Any, *, seed: int, batch_size: int, micro_batch: int, accum: int, world: int
    ) -> Any:
        """Which blocks each rank reads per micro-step: a fixed ``batch_size`` sequences per step."""
        return Sampler(len(ds), seed=seed, batch_size=batch_size, micro_batch=micro_batch, world=world)

    def mask(
        self, ds: Any, masker: Masker, ids: torch.Tensor, indices: np.ndarray, seed: int
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """(inputs, labels) of a micro-batch: a fresh dynamic mask from ``seed`` (seed, step, chunk)."""
        return masker(ids, seed=seed)

    def nsp_targets(self, ds: Any, indices: np.ndarray) -> np.ndarray | None:
        """NSP labels (1 = B follows A) of the given blocks, or None for a format without NSP."""
        return None
