"""Static masking (paper §4.1, BERT's original setup), the baseline of Table 1.

BERT masked once during preprocessing; to avoid one mask per sequence for the whole run, the data was
duplicated 10 times, each copy with its own mask, and trained for 40 epochs, so each sequence was seen with
the same mask four times. ``StaticDuplicates`` is that duplicated data set as a view: virtual item ``v`` is
block ``v % n`` of duplicate ``v // n``, and its mask is a pure function of (mask seed, duplicate, block),
i.e. fixed before training exactly as if written to disk, without storing 10 copies (at 160 GB of text,
BERT's way would be 10x the corpus). The sampler permutes the ``dupes * n`` items each epoch as usual.

Usage: ``train_ds = StaticDuplicates(ds, dupes=10, seed=1); inputs, labels = train_ds.mask(ids, idx, masker)``
"""

from __future__ import annotations

import numpy as np
import torch

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
