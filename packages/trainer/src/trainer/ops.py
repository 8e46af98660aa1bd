"""Dropout and padded attention for ``trainer.model``, with a fast CPU path for each.

On CPU, torch's dropout draws one Bernoulli sample per element (~10 ns each, single thread): in a small
model it costs as much as a third of the matmul time, and SDPA has no CPU kernel with attention dropout,
so it falls back to the same slow draw inside its math path. ``dropout`` here draws 64 random bits per four
elements instead (``random_`` over the full int64 range, viewed as four uniform 16-bit lanes, ~3x faster per
element all in) and keeps an element when its lane is at or above ``round(p * 2**16)``: the drop probability
is rounded to a multiple of 2^-16 (0.1 -> 0.100006) and the kept values are scaled by the exact inverse of
the keep probability, so the expectation is unchanged. ``attention`` is SDPA, except on CPU in training with
dropout on, where it is the same math (scores, key mask, softmax, dropout, weighted sum) written out with
this dropout. On a GPU both are torch's own fused kernels. The random stream is the default generator's, so
checkpoints (which save it) still resume exactly.

Usage: ``x = dropout(x, 0.1, self.training)``; ``a = attention(q, k, v, key_mask, 0.1 if self.training else 0)``
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

LANES = 2**16  # resolution of the CPU dropout probability


def keep_mask(shape: torch.Size, p: float, device: torch.device) -> tuple[torch.Tensor, float]:
    """(bool mask of ``shape``, True = keep, each with probability 1 - ``p`` rounded to 2^-16; 1 / that
    probability): one 64-bit draw per four elements."""
    n = math.prod(shape)
    drop = round(p * LANES)
    bits = torch.empty((n + 3) // 4, dtype=torch.int64, device=device).random_(-(2**63), None)
    lanes = bits.view(torch.int16)[:n].view(shape)  # uniform over [-2^15, 2^15)
    return lanes >= drop - LANES // 2, LANES / (LANES - drop)


def dropout(x: torch.Tensor, p: float, training: bool) -> torch.Tensor:
    """Inverted dropout of ``x`` with probability ``p`` while ``training`` (torch's own off CPU)."""
    if not training or p <= 0.0:
        return x
    if x.device.type != "cpu" or p >= 1.0:
        return F.dropout(x, p, True)
    keep, scale = keep_mask(x.shape, p, x.device)
    return (x * scale) * keep  # autograd keeps only the bool mask


def attention(
    q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, key_mask: torch.Tensor | None, p: float
) -> torch.Tensor:
    """Scaled dot-product attention of (..., T, d) q/k/v (batch dims (B, heads) or one merged dim) with a
    bool key mask broadcastable to (..., 1, T) (True = attend) or None, attention dropout ``p``; returns
    (..., T, d)."""
    if p <= 0.0 or q.device.type != "cpu":
        return F.scaled_dot_product_attention(q, k, v, attn_mask=key_mask, dropout_p=p)
    scale = 1.0 / math.sqrt(q.shape[-1])
    if q.dim() == 3:  # one batch dim: scale, QK^T and the mask in one baddbmm
        bias = torch.zeros((), dtype=q.dtype) if key_mask is None else _bias(key_mask, q.dtype)
        scores = torch.baddbmm(bias, q, k.transpose(-2, -1), alpha=scale)  # (batch, T, T)
    else:
        scores = (q * scale) @ k.transpose(-2, -1)
        if key_mask is not None:
            scores = scores.masked_fill(~key_mask, float("-inf"))
    keep, inv = keep_mask(scores.shape, p, q.device)
    return ((scores.softmax(-1) * keep) @ v) * inv  # dropout's scale on (T, d), not on (T, T)


def _bias(key_mask: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """0 where ``key_mask`` attends, -inf elsewhere."""
    return torch.zeros(key_mask.shape, dtype=dtype).masked_fill_(~key_mask, float("-inf"))
