"""Validation: mean MLM loss over a fixed set of held-out blocks with a fixed mask seed, rank-invariant.

Usage: ``loss, n_masked = evaluate(model, valid_ds, masker, cfg, ctx, micro, dtype)``
"""

from __future__ import annotations

import math

import numpy as np
import torch

from trainer.config import Config
from trainer.data import BlockDataset
from trainer.distributed import DistContext, all_reduce_sum, to_device
from trainer.masking import IGNORE, Masker, mask_seed
from trainer.model import attention_mask
from trainer.precision import autocast

VALID_SEED = 20190726  # fixed validation mask seed (RoBERTa's arXiv date), independent of the run seed


def evaluate(
    model: torch.nn.Module,
    ds: BlockDataset,
    masker: Masker,
    cfg: Config,
    ctx: DistContext,
    micro: int,
    dtype: torch.dtype | None,
) -> tuple[float, int]:
    """Mean MLM loss over the first ``valid_blocks`` held-out blocks with a fixed mask seed.
    Group ``g`` (blocks ``[g*micro, (g+1)*micro)``) goes to rank ``g % world`` and is masked with seed
    (VALID_SEED, g), so the figure does not depend on the number of ranks. ``model`` is the bare model
    (not DDP-wrapped: ranks may score different numbers of groups)."""
    n = min(cfg.data.valid_blocks, len(ds))
    was_training = model.training
    model.eval()
    total = torch.zeros(2, dtype=torch.float64, device=ctx.device)
    with torch.no_grad():
        for g in range(ctx.rank, math.ceil(n / micro), ctx.world):
            ids = to_device(ds.batch(np.arange(g * micro, min(n, (g + 1) * micro))), ctx.device)
            inputs, labels = masker(ids, seed=mask_seed(VALID_SEED, g))
            n_masked = labels.ne(IGNORE).sum()
            with autocast(ctx.device, dtype):  # validation may wait for the device: exact head capacity
                loss = model(
                    inputs, attn_mask=attention_mask(inputs, ds.pad), labels=labels, capacity=int(n_masked)
                )
            total += torch.stack([loss.double(), n_masked.double()])
    all_reduce_sum(total, ctx)
    model.train(was_training)
    return float(total[0] / total[1].clamp(min=1)), int(total[1])
