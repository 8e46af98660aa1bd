"""Static masking (paper §4.1): data duplicated N times, each duplicate with its own mask fixed before
training; a sequence's mask is identical across epochs for one duplicate and different across duplicates."""

from __future__ import annotations

import numpy as np
import torch
from format_fixtures import SP, make_shard, random_docs
from trainer.data import BlockDataset, Sampler
from trainer.formats import FullSentences, StaticDuplicates
from trainer.masking import IGNORE, Masker, mask_seed

MASKER = Masker(vocab_size=1000, mask_id=SP.mask, special_ids=tuple(SP.ids()))


def dataset(dupes: int = 10, seq_len: int = 32) -> StaticDuplicates:
    shard = make_shard(random_docs(np.random.default_rng(0), n_docs=30))
    blocks = BlockDataset([shard], FullSentences(seq_len, SP), seq_len, SP.pad)
    return StaticDuplicates(blocks, dupes=dupes, seed=4)


def masks_by_item(ds: StaticDuplicates, epochs: int, batch: int = 8) -> dict[int, list[torch.Tensor]]:
    """Run the sampler over ``epochs`` epochs of the duplicated set and collect each item's (inputs, labels)."""
    sampler = Sampler(len(ds), seed=1, batch_size=batch, micro_batch=batch, world=1)
    out: dict[int, list[torch.Tensor]] = {}
    for step in range(epochs * len(ds) // batch):
        idx = sampler.chunk(step, 0, 0)
        inputs, labels = ds.mask(torch.from_numpy(ds.batch(idx)), idx, MASKER)
        for row, v in enumerate(idx.tolist()):
            out.setdefault(v, []).append(torch.stack([inputs[row], labels[row]]))
    return out


def test_same_mask_in_every_epoch_of_a_duplicate() -> None:
    ds = dataset(dupes=3)
    seen = masks_by_item(ds, epochs=4)
    assert len(seen) == len(ds)
    for v, masks in seen.items():
        assert len(masks) >= 3, v
        assert all(torch.equal(m, masks[0]) for m in masks), "the mask of one duplicate never changes"


def test_duplicates_get_different_masks_and_every_block_each_epoch() -> None:
    ds = dataset(dupes=10, seq_len=128)  # long blocks: two independent masks coincide with p < 1e-15
    n = len(ds.base)
    assert len(ds) == 10 * n
    idx = np.arange(len(ds))
    blocks, dups = ds.locate(idx)
    assert (np.bincount(blocks, minlength=n) == 10).all() and (np.bincount(dups) == n).all()
    ids = torch.from_numpy(ds.batch(idx))
    inputs, labels = ds.mask(ids, idx, MASKER)
    long = [b for b in range(n) if int(ids[b].gt(SP.eos).sum()) >= 100]
    assert len(long) > n // 2
    for b in long:
        rows = torch.cat([inputs[b::n], labels[b::n]], dim=1)  # the 10 duplicates of block b
        assert len({tuple(r.tolist()) for r in rows}) == 10, "10 different masks"
    assert abs(labels.ne(IGNORE).sum() / ids.gt(SP.eos).sum() - 0.15) < 0.02


def test_static_mask_is_independent_of_batch_position() -> None:
    ds = dataset(dupes=2)
    idx = np.array([5, 17, 3])
    a = ds.mask(torch.from_numpy(ds.batch(idx)), idx, MASKER)
    b = ds.mask(torch.from_numpy(ds.batch(idx[::-1].copy())), idx[::-1].copy(), MASKER)
    assert torch.equal(a[0], b[0].flip(0)) and torch.equal(a[1], b[1].flip(0))


def test_dynamic_masking_differs_between_epochs_for_contrast() -> None:
    ds = dataset(dupes=1).base
    ids = torch.from_numpy(ds.batch(np.arange(4)))
    first = MASKER(ids, seed=mask_seed(0, 0, 0))[1]
    later = MASKER(ids, seed=mask_seed(0, len(ds), 0))[1]
    assert not torch.equal(first, later)
