"""Dynamic masking (paper §4.1): a fresh mask each time a sequence is used. Of the maskable tokens (not
``<s>``, ``</s>``, ``<pad>``), 15% are selected; of those 80% become ``<mask>``, 10% a random token and 10% stay.
Vectorized on the batch's device with its own generator seeded per (seed, step, chunk), so masks never
depend on the global RNG stream and a resumed run masks exactly as a straight one.

Usage: ``inputs, labels = masker(ids, seed=mask_seed(cfg.seed, step, chunk))``
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from trainer.config import DataConfig

IGNORE = -100  # label of unselected positions (torch cross_entropy's ignore_index)


def mask_seed(*keys: int) -> int:
    """A 63-bit seed mixed from integer keys (seed, step, chunk, ...) with numpy's SeedSequence."""
    return int(np.random.SeedSequence([int(k) for k in keys]).generate_state(2, np.uint64)[0] >> np.uint64(1))


@dataclass(frozen=True, kw_only=True)
class Masker:
    """BERT-style 80/10/10 masking. Random replacements are drawn uniformly from the non-special ids."""

    vocab_size: int
    mask_id: int
    special_ids: tuple[int, ...]
    mask_prob: float = 0.15
    mask_token_frac: float = 0.8
    random_token_frac: float = 0.1

    def __call__(self, ids: torch.Tensor, *, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Return (inputs, labels); labels hold the original id where selected and ``IGNORE`` elsewhere."""
        g = torch.Generator(device=ids.device)
        g.manual_seed(seed)
        # no host<->device traffic: specials are Python ints compared one by one (they are few)
        specials = sorted(set(self.special_ids))
        maskable = torch.ones_like(ids, dtype=torch.bool)
        for s in specials:
            maskable &= ids.ne(s)
        selected = (torch.rand(ids.shape, generator=g, device=ids.device) < self.mask_prob) & maskable
        action = torch.rand(ids.shape, generator=g, device=ids.device)
        to_mask = selected & (action < self.mask_token_frac)
        to_rand = (
            selected
            & (action >= self.mask_token_frac)
            & (action < self.mask_token_frac + self.random_token_frac)
        )
        # random ids: draw an index among the non-special ids and map it through the ordered non-special list
        draw = torch.randint(self.vocab_size - len(specials), ids.shape, generator=g, device=ids.device)
        # shift past each special id <= the candidate (specials are few; the loop is over them, not tokens)
        rand_ids = draw
        for s in specials:
            rand_ids = rand_ids + (rand_ids >= s).long()
        inputs = torch.where(to_mask, torch.full_like(ids, self.mask_id), ids)
        inputs = torch.where(to_rand, rand_ids, inputs)
        labels = torch.where(selected, ids, torch.full_like(ids, IGNORE))
        return inputs, labels


def mlm_capacity(n_tokens: int, mask_prob: float, *, sigmas: float = 6.0) -> int:
    """Fixed number of head positions for a micro-batch of ``n_tokens`` positions: the expected masked count
    plus ``sigmas`` binomial standard deviations and 8, rounded up to a multiple of 8, at most ``n_tokens``.
    The masked count is at most Binomial(n_tokens, mask_prob) (specials and pads are never selected), so
    overflowing it has probability below ~1e-9 per micro-batch; the loop counts any overflow and logs it."""
    mean = n_tokens * mask_prob
    cap = mean + sigmas * math.sqrt(max(mean * (1.0 - mask_prob), 0.0)) + 8
    return min(n_tokens, int(math.ceil(cap / 8.0)) * 8)


def make_masker(data: DataConfig, vocab_size: int, special_ids: tuple[int, ...], mask_id: int) -> Masker:
    """The run's ``Masker``: ``data``'s probabilities over a ``vocab_size`` vocabulary."""
    return Masker(
        vocab_size=vocab_size,
        mask_id=mask_id,
        special_ids=special_ids,
        mask_prob=data.mask_prob,
        mask_token_frac=data.mask_token_frac,
        random_token_frac=data.random_token_frac,
    )
