"""Static masking (paper §4.1, BERT's original setup), the baseline of Table 1.

BERT masked once during preprocessing; to avoid one mask per sequence for the whole run, the data was
duplicated 10 times, each copy with its own mask, and trained for 40 epochs, so each sequence was seen with
the same mask four times. ``StaticDuplicates`` is that duplicated data set as a view: virtual item ``v`` is
block ``v % n`` of duplicate ``v // n``, and its mask is a pure function of (mask seed, duplicate, block),
i.e. fixed before training exactly as if written to disk, without storing 10 copies (at 160 GB of text,
BERT's way would be 10x the corpus). The sampler permutes the ``dupes * n`` items each epoch as usual.

``StaticMasking`` is the ``InputFormat`` of a run with ``data.static_dupes > 0``: it wraps the run's input
format (any of ``FORMATS``), keeps its blocks, NSP labels and sampler, and swaps in the duplicated view and
the fixed masks.

Usage: ``fmt = StaticMasking(FullSentences(512, sp), dupes=10, seed=1); train_set = fmt.train_view(ds)``
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from tokenizer import TokenShard

from trainer.formats.base import InputFormat
from trainer.masking import Masker, mask_seed

STATIC_SEED_KEY = 1_000_003  # separates static-mask seeds from the dynamic (seed, step, chunk) stream


class StaticDuplicates:
    """``dupes`` copies of a ``BlockDataset``, each masked once and for all with its own mask."""

    def __init__(self, base, *, dupes: int = 10, seed: int = 0) -> None:
        if dupes < 1:
            raise ValueError(f"static masking needs dupes >= 1, got {dupes}")
        self.base, self.dupes, self.seed = base, dupes, seed
        self.pad, self.seq_len = base.pad, base.seq_len

    def __len__(self) -> int:
        return self.dupes * len(self.base)

    def locate(self, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(block, duplicate) of each virtual index."""
        idx = np.asarray(indices, dtype=np.int64)
        return idx % len(self.base), idx // len(self.base)

    def batch(self, indices: np.ndarray) -> np.ndarray:
        """Ids of the underlying blocks, as ``BlockDataset.batch``."""
        return self.base.batch(self.locate(indices)[0])

    def row_seed(self, block: int, dup: int) -> int:
        """The fixed mask seed of one (block, duplicate): independent of step, epoch, rank and batch."""
        return mask_seed(STATIC_SEED_KEY, self.seed, dup, block)

    def mask(
        self, ids: torch.Tensor, indices: np.ndarray, masker: Masker
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """(inputs, labels) for rows ``ids`` of virtual items ``indices``: each row with its fixed mask.
        One masker call per row (rows, not tokens: a micro-batch is tens of rows)."""
        blocks, dups = self.locate(indices)
        pairs = [
            masker(ids[r : r + 1], seed=self.row_seed(int(b), int(d)))
            for r, (b, d) in enumerate(zip(blocks, dups, strict=True))
        ]
        return torch.cat([p[0] for p in pairs]), torch.cat([p[1] for p in pairs])


class StaticMasking(InputFormat):
    """Static masking over another input format: its blocks, duplicated ``dupes`` times with fixed masks."""

    def __init__(self, inner: InputFormat, *, dupes: int = 10, seed: int = 0) -> None:
        if dupes < 1:
            raise ValueError(f"static masking needs dupes >= 1, got {dupes}")
        self.inner, self.dupes = inner, dupes
        self.seq_len, self.sp, self.seed = inner.seq_len, inner.sp, seed
        self.name = f"{inner.name}+static"  # type: ignore[misc]
        self.nsp = inner.nsp  # type: ignore[misc]

    def index(self, shard: TokenShard) -> np.ndarray:
        return self.inner.index(shard)

    def block(self, shard: TokenShard, span: np.ndarray) -> np.ndarray:
        return self.inner.block(shard, span)

    def block_lengths(self, ds: Any) -> np.ndarray:
        return self.inner.block_lengths(ds)

    def train_view(self, ds: Any) -> StaticDuplicates:
        return StaticDuplicates(ds, dupes=self.dupes, seed=self.seed)

    def sampler(
        self, ds: Any, *, seed: int, batch_size: int, micro_batch: int, accum: int, world: int
    ) -> Any:
        return self.inner.sampler(
            ds, seed=seed, batch_size=batch_size, micro_batch=micro_batch, accum=accum, world=world
        )

    def mask(
        self, ds: Any, masker: Masker, ids: torch.Tensor, indices: np.ndarray, seed: int
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """The fixed masks of the items ``indices`` of the duplicated view ``ds`` (``seed`` is unused)."""
        return ds.mask(ids, indices, masker)

    def nsp_targets(self, ds: Any, indices: np.ndarray) -> np.ndarray | None:
        return self.inner.nsp_targets(ds, indices)
