"""The CPU fast paths of ``trainer.ops`` and the jagged attention against slow obvious references: dropout's
keep rate, lanes and gradient; attention with dropout equal to the written-out formula under the same mask;
the CPU (re-padded) and nested jagged attention equal to masked SDPA."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from trainer.model import jagged_attention, pack_batch
from trainer.ops import LANES, attention, dropout, keep_mask


def test_dropout_keep_rate_lanes_scale_and_gradient() -> None:
    torch.manual_seed(0)
    x = torch.randn(1_000_003, requires_grad=True)  # not a multiple of 4: the last draw is cut
    y = dropout(x, 0.1, True)
    kept = y.detach() != 0
    q = 1 - round(0.1 * LANES) / LANES  # the keep probability after rounding to 2^-16
    n = x.numel()
    assert abs(kept.float().mean().item() - q) < 5 * math.sqrt(q * (1 - q) / n)
    for lane in range(4):  # each 16-bit lane of a 64-bit draw is its own fair coin
        m = n // 4
        assert abs(kept[lane::4].float().mean().item() - q) < 5 * math.sqrt(q * (1 - q) / m)
    assert torch.allclose(y.detach()[kept], x.detach()[kept] / q)
    y.sum().backward()
    assert torch.equal(x.grad, kept.float() / q)


def test_dropout_identity_off_and_zero_at_one() -> None:
    x = torch.randn(5, 7)
    assert dropout(x, 0.1, False) is x and dropout(x, 0.0, True) is x
    assert torch.equal(dropout(x, 1.0, True), torch.zeros_like(x))


@pytest.mark.parametrize("shape", [(6, 20, 8), (2, 3, 20, 8)])
@pytest.mark.parametrize("masked", [False, True])
def test_attention_with_dropout_equals_formula(shape: tuple[int, ...], masked: bool) -> None:
    g = torch.Generator().manual_seed(1)
    q, k, v = (torch.randn(shape, generator=g) for _ in range(3))
    mask = None
    if masked:
        mask = torch.ones(*shape[:-2], 1, shape[-2], dtype=torch.bool)
        mask[..., 13:] = False
    torch.manual_seed(7)
    out = attention(q, k, v, mask, 0.1)
    torch.manual_seed(7)
    keep, inv = keep_mask(torch.Size((*shape[:-1], shape[-2])), 0.1, q.device)
    scores = q @ k.transpose(-2, -1) / math.sqrt(shape[-1])
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    ref = (scores.softmax(-1) * keep * inv) @ v
    assert torch.allclose(out, ref, atol=1e-5)
    no_drop = attention(q, k, v, mask, 0.0)
    assert torch.allclose(no_drop, F.scaled_dot_product_attention(q, k, v, attn_mask=mask), atol=1e-6)


@pytest.mark.parametrize("nested", [False, True])
@pytest.mark.parametrize("lengths", [[16, 16], [16, 5, 11], [1, 9]])
def test_jagged_attention_equals_masked_sdpa(nested: bool, lengths: list[int]) -> None:
    heads, d, t = 2, 4, 16
    ids = np.full((len(lengths), t), 1)
    for b, n in enumerate(lengths):
        ids[b, :n] = 5
    p = pack_batch(ids, 1, torch.device("cpu"))
    qkv_dense = torch.randn(len(lengths), t, 3 * heads * d, generator=torch.Generator().manual_seed(2))
    qkv = qkv_dense.reshape(-1, 3 * heads * d)[p.index]
    out = jagged_attention(qkv, heads, p, 0.0, nested=nested)
    q, k, v = qkv_dense.view(len(lengths), t, 3, heads, d).permute(2, 0, 3, 1, 4)
    mask = torch.from_numpy(ids != 1)[:, None, None, :]
    ref = F.scaled_dot_product_attention(q, k, v, attn_mask=mask).transpose(1, 2).reshape(-1, heads * d)
    assert torch.allclose(out, ref[p.index], atol=1e-5)
