"""Token shards -> blocks -> padded batches: ``BlockDataset`` holds every block of one split as a token span.

An input format (``trainer.formats``) turns one memory-mapped shard into a block index (one span row per
block) and materialises a block as ids with specials. Only the index (a few int64 per block) lives in memory;
tokens stay memory-mapped. ``Specials`` are the special-token ids the manifest records (RoBERTa's layout by
default).

Usage: ``ds = BlockDataset.open(folder, "train", seq_len=512, fmt="full-sentences"); ids = ds.batch(idx)``
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from tokenizer import ShardError, TokenShard, open_shards, read_manifest

from trainer.errors import TrainerError

if TYPE_CHECKING:
    from trainer.formats import InputFormat


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
        """Open ``split`` of a shard folder in the input format named ``fmt`` (a key of ``FORMATS``);
        one-line ``TrainerError`` when missing, corrupt or empty."""
        from trainer.formats import make_format  # formats build on this module: import at call time

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
