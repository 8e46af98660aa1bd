"""Dynamic masking: 15% of maskable tokens selected, 80/10/10 split, specials untouched, seed-determined."""

from __future__ import annotations

import torch
from trainer.masking import IGNORE, Masker, mask_seed

MASKER = Masker(vocab_size=1000, mask_id=999, special_ids=(0, 1, 2, 3, 999))


def batch(n: int = 256, t: int = 512) -> torch.Tensor:
    ids = torch.randint(4, 999, (n, t), generator=torch.Generator().manual_seed(0))
    ids[:, 0], ids[:, -1], ids[:, t // 5] = 0, 2, 2
    ids[: n // 2, 4 * t // 5 :] = 1  # padding
    return ids


def test_mask_statistics() -> None:
    ids = batch()
    inputs, labels = MASKER(ids, seed=mask_seed(0, 1, 2))
    maskable = ~torch.isin(ids, torch.tensor([0, 1, 2, 3, 999]))
    sel = labels.ne(IGNORE)
    n_sel, n_ok = int(sel.sum()), int(maskable.sum())
    assert abs(n_sel / n_ok - 0.15) < 0.005  # ~100k maskable tokens: 3 sigma is ~0.003
    assert not (sel & ~maskable).any()
    assert torch.equal(labels[sel], ids[sel])
    frac_mask = float((inputs[sel] == 999).float().mean())
    changed = sel & inputs.ne(ids) & inputs.ne(999)
    frac_rand = int(changed.sum()) / n_sel
    frac_same = float((inputs[sel] == ids[sel]).float().mean())
    assert abs(frac_mask - 0.8) < 0.01
    assert abs(frac_rand - 0.1) < 0.01  # random ids may equal the original (1/995): within tolerance
    assert abs(frac_same - 0.1) < 0.01
    assert torch.equal(inputs[~sel], ids[~sel])
    # random replacements are never special tokens and cover the normal range
    rnd = inputs[changed]
    assert not torch.isin(rnd, torch.tensor([0, 1, 2, 3, 999])).any()
    assert int(rnd.min()) < 20 and int(rnd.max()) > 980


def test_mask_is_a_function_of_the_seed() -> None:
    ids = batch(8, 64)
    a = MASKER(ids, seed=mask_seed(0, 5, 1))
    b = MASKER(ids, seed=mask_seed(0, 5, 1))
    c = MASKER(ids, seed=mask_seed(0, 6, 1))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert not torch.equal(a[1], c[1])  # a fresh mask each step (dynamic masking)


def test_random_ids_skip_specials_in_the_middle() -> None:
    m = Masker(
        vocab_size=10,
        mask_id=9,
        special_ids=(0, 5, 9),
        mask_prob=1.0,
        mask_token_frac=0.0,
        random_token_frac=1.0,
    )
    ids = torch.full((64, 64), 4)
    inputs, _ = m(ids, seed=1)
    assert set(inputs.unique().tolist()) == {1, 2, 3, 4, 6, 7, 8}
