"""Fast paths against slow obvious references: the fixed-capacity MLM head vs boolean indexing (``h[sel]``),
the jagged (unpadded) attention path vs the masked one, loss and every gradient, on padded batches."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from trainer.config import ModelConfig
from trainer.masking import mlm_capacity
from trainer.model import Roberta, attention_mask, pack_batch

PAD = 1


def model(seed: int = 0, **kw: object) -> Roberta:
    torch.manual_seed(seed)
    cfg = dict(vocab_size=300, hidden=32, layers=2, heads=4, ffn=64, max_positions=40, dropout=0.0)
    return Roberta(ModelConfig(**{**cfg, "attn_dropout": 0.0, **kw}))


def batch(lengths: list[int], t: int = 32, p: float = 0.3, seed: int = 0):
    rng = np.random.default_rng(seed)
    ids = rng.integers(4, 300, (len(lengths), t))
    ids[:, 0] = 0
    for b, n in enumerate(lengths):
        ids[b, n:] = PAD
    labels = np.where((rng.random(ids.shape) < p) & (ids != PAD), ids, -100)
    return ids, torch.from_numpy(ids), torch.from_numpy(labels)


def reference_loss(m: Roberta, ids: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Today's path, the obvious way: padded encoder with the key mask, head on ``h[sel]``."""
    h = m.encode(ids, attention_mask(ids, PAD))
    sel = labels.ne(-100)
    logits = m.lm_head(h[sel], m.embeddings.word_embeddings.weight)
    return F.cross_entropy(logits.float(), labels[sel], reduction="sum")


def loss_and_grads(m: Roberta, fn) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    m.zero_grad()
    loss = fn()
    loss.backward()
    return loss.detach(), {n: p.grad.clone() for n, p in m.named_parameters() if p.grad is not None}


def assert_same(a, b, atol: float = 1e-5) -> None:
    assert torch.allclose(a[0], b[0], rtol=1e-6, atol=atol), (a[0], b[0])
    assert a[1].keys() == b[1].keys()
    for k in a[1]:
        assert torch.allclose(a[1][k], b[1][k], rtol=1e-4, atol=1e-6), k


@settings(max_examples=12, deadline=None)
@given(st.lists(st.integers(2, 32), min_size=1, max_size=5), st.integers(0, 10**6))
def test_fixed_capacity_head_equals_boolean_index(lengths: list[int], seed: int) -> None:
    m = model()
    host, ids, labels = batch(lengths, seed=seed)
    cap = max(int(labels.ne(-100).sum()), 1) + 8  # room for every masked token, padded with ignored rows
    ref = loss_and_grads(m, lambda: reference_loss(m, ids, labels))
    fast = loss_and_grads(m, lambda: m(ids, attn_mask=attention_mask(ids, PAD), labels=labels, capacity=cap))
    assert_same(ref, fast)


@settings(max_examples=12, deadline=None)
@given(st.lists(st.integers(2, 32), min_size=1, max_size=5), st.integers(0, 10**6))
def test_jagged_attention_equals_masked(lengths: list[int], seed: int) -> None:
    m = model(seed=1)
    host, ids, labels = batch(lengths, seed=seed)
    cap = mlm_capacity(int((host != PAD).sum()), 0.3)
    ref = loss_and_grads(m, lambda: reference_loss(m, ids, labels))
    packing = pack_batch(host, PAD, torch.device("cpu"))
    fast = loss_and_grads(m, lambda: m(ids, labels=labels, capacity=cap, packing=packing))
    assert_same(ref, fast)
    # hidden states of the real tokens agree too (pads simply are not there)
    with torch.no_grad():
        h_ref = m.encode(ids, attention_mask(ids, PAD)).flatten(0, 1)[packing.index]
        assert torch.allclose(m.encode(ids, packing=packing), h_ref, atol=1e-5)


def test_jagged_nsp_uses_each_sequence_first_token() -> None:
    m = model(nsp=True)
    host, ids, labels = batch([32, 9, 20])
    y = torch.tensor([1, 0, 1])
    ref = m(ids, attn_mask=attention_mask(ids, PAD), labels=labels, nsp_labels=y)
    fast = m(
        ids, labels=labels, nsp_labels=y, capacity=64, packing=pack_batch(host, PAD, torch.device("cpu"))
    )
    for a, b in zip(ref, fast, strict=True):
        assert torch.allclose(a, b, atol=1e-5)


def test_overflow_drops_only_the_masked_positions_past_capacity() -> None:
    """Capacity smaller than the masked count: the head scores the first ``cap`` masked positions in order."""
    m = model()
    _, ids, labels = batch([32, 32], p=0.5)
    cap = 10
    keep = labels.clone().reshape(-1)
    keep[keep.ne(-100).nonzero().squeeze(1)[cap:]] = -100
    ref = reference_loss(m, ids, keep.view_as(labels))
    assert torch.allclose(m(ids, attn_mask=attention_mask(ids, PAD), labels=labels, capacity=cap), ref)


@pytest.mark.parametrize("n", [1, 7, 64, 2048, 16384, 65536])
def test_capacity_is_static_padded_and_safe(n: int) -> None:
    cap = mlm_capacity(n, 0.15)
    assert cap == n or cap % 8 == 0
    assert cap <= n
    mean, sd = 0.15 * n, (0.15 * 0.85 * n) ** 0.5
    assert cap >= min(n, mean + 6 * sd)
    # real masking never came near it: 200 masks of a full block set at this size
    from trainer.masking import Masker

    if n >= 64:
        masker = Masker(vocab_size=300, mask_id=3, special_ids=(0, 1, 2, 3))
        ids = torch.randint(4, 300, (n // 64, 64))
        counts = [int(masker(ids, seed=s)[1].ne(-100).sum()) for s in range(200)]
        assert max(counts) <= cap
