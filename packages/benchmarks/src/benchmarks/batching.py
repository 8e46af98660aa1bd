"""Batches for finetuning: dynamic padding, length-grouped training batches and length-sorted evaluation.

Length grouping (as fairseq's size-bucketed batches and HF's ``group_by_length``): a seeded permutation of the
examples is cut into buckets of ``bucket_batches`` batches; each bucket is sorted by length (longest first,
ties by their random position) and cut into batches, and the order of all batches is shuffled with the same
generator. Every example is seen exactly once per epoch, batches hold examples of similar length (so padding
to the longest of the batch wastes little), and the order still changes with the seed and the epoch.

Usage: ``for batch in batches(feats, 16, pad_id, generator=g): ...``; ``order = length_grouped_order(lengths,
16, g)``; ``preds = predict(feats, 128, pad_id, lambda b: model(**b).logits.argmax(-1).tolist())``
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import torch

Feature = dict[str, Any]
BUCKET_BATCHES = 50  # batches per length bucket: big enough to pad little, small enough to stay random


def _pad(seqs: list[Any], value: int) -> torch.Tensor:
    """Right-pad a list of id lists (or of lists of id lists, for multiple choice) into one tensor."""
    if seqs and isinstance(seqs[0][0], list):
        width = max(len(s) for group in seqs for s in group)
        return torch.tensor([[s + [value] * (width - len(s)) for s in group] for group in seqs])
    width = max(len(s) for s in seqs)
    return torch.tensor([s + [value] * (width - len(s)) for s in seqs])


def collate(items: Sequence[Feature], pad_id: int) -> dict[str, torch.Tensor]:
    """Stack features: ``input_ids`` padded with ``pad_id`` to the batch's longest (dynamic padding),
    ``attention_mask`` with 0, the rest as tensors."""
    out: dict[str, torch.Tensor] = {}
    for key in items[0]:
        values = [it[key] for it in items]
        if key == "input_ids":
            out[key] = _pad(values, pad_id)
        elif key == "attention_mask":
            out[key] = _pad(values, 0)
        else:
            out[key] = torch.tensor(values)
    return out


def length(feat: Feature) -> int:
    """Tokens of a feature (its longest choice for multiple choice): what padding a batch depends on."""
    ids = feat["input_ids"]
    return max(len(s) for s in ids) if ids and isinstance(ids[0], list) else len(ids)


def length_grouped_order(
    lengths: Sequence[int], batch_size: int, generator: torch.Generator, bucket_batches: int = BUCKET_BATCHES
) -> list[list[int]]:
    """Training batches (lists of example indices) grouped by length, shuffled within and across buckets."""
    perm = torch.randperm(len(lengths), generator=generator).tolist()
    bucket = batch_size * bucket_batches
    groups: list[list[int]] = []
    for start in range(0, len(perm), bucket):
        chunk = perm[start : start + bucket]
        rank = {idx: pos for pos, idx in enumerate(chunk)}
        chunk = sorted(chunk, key=lambda i: (-lengths[i], rank[i]))
        groups += [chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size)]
    return [groups[i] for i in torch.randperm(len(groups), generator=generator).tolist()]


def batch_order(
    feats: Sequence[Feature], batch_size: int, generator: torch.Generator | None, *, group_by_length: bool
) -> list[list[int]]:
    """Index batches of one epoch: in order (``generator=None``), a seeded random order, or length-grouped."""
    n = len(feats)
    if generator is None:
        return [list(range(i, min(i + batch_size, n))) for i in range(0, n, batch_size)]
    if group_by_length:
        return length_grouped_order([length(f) for f in feats], batch_size, generator)
    order = torch.randperm(n, generator=generator).tolist()
    return [order[i : i + batch_size] for i in range(0, n, batch_size)]


def batches(
    feats: Sequence[Feature],
    batch_size: int,
    pad_id: int,
    *,
    generator: torch.Generator | None = None,
    group_by_length: bool = False,
) -> Iterator[dict[str, torch.Tensor]]:
    """Padded batches: in order (``generator=None``, evaluation) or a seeded training order."""
    for idx in batch_order(feats, batch_size, generator, group_by_length=group_by_length):
        yield collate([feats[j] for j in idx], pad_id)


def micro_batches(idx: list[int], accum: int) -> list[list[int]]:
    """Split one batch into ``accum`` near-equal micro-batches (fewer when the batch is smaller)."""
    size = -(-len(idx) // accum)
    return [idx[i : i + size] for i in range(0, len(idx), size)]


def predict(
    feats: Sequence[Feature], batch_size: int, pad_id: int, fn: Callable[[dict[str, torch.Tensor]], list]
) -> list:
    """``fn`` over length-sorted batches (little padding), its per-example outputs back in input order."""
    order = sorted(range(len(feats)), key=lambda i: length(feats[i]))
    out: list = [None] * len(feats)
    for start in range(0, len(order), batch_size):
        idx = order[start : start + batch_size]
        for i, value in zip(idx, fn(collate([feats[j] for j in idx], pad_id)), strict=True):
            out[i] = value
    return out
