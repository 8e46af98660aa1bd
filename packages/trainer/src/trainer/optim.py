"""AdamW with RoBERTa's settings (β 0.9/0.98, ε 1e-6, weight decay 0.01 except on biases and LayerNorm) and
a linear warmup to the peak learning rate followed by a linear decay to 0 at ``max_steps``.

Usage: ``opt, sched = build_optimizer(model, cfg.optim)``
"""

from __future__ import annotations

import torch
from torch import nn

from trainer.config import OptimConfig


def param_groups(model: nn.Module, weight_decay: float) -> list[dict]:
    """Decay matrices/embeddings; no decay on biases and LayerNorm weights (all 1-D parameters)."""
    decay, no_decay = [], []
    for _, p in model.named_parameters():
        if p.requires_grad:
            (no_decay if p.ndim < 2 else decay).append(p)
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]


def lr_factor(step: int, warmup: int, total: int) -> float:
    """Multiplier of the peak LR at ``step``: (step+1)/warmup while warming up, then linear to 0 at ``total``."""
    if warmup > 0 and step < warmup:
        return (step + 1) / warmup  # the first update already gets a non-zero LR
    if total <= warmup:
        return 1.0
    return max(0.0, (total - step) / (total - warmup))


def build_optimizer(
    model: nn.Module, cfg: OptimConfig, fused: bool = True
) -> tuple[torch.optim.Optimizer, torch.optim.lr_scheduler.LambdaLR]:
    """AdamW over ``param_groups`` plus its LambdaLR schedule (stepped once per optimizer step). ``fused``:
    torch's one-kernel AdamW (CPU and CUDA; ~3x faster than the per-parameter loop on CPU)."""
    opt = torch.optim.AdamW(
        param_groups(model, cfg.weight_decay),
        lr=cfg.lr,
        betas=(cfg.beta1, cfg.beta2),
        eps=cfg.eps,
        fused=fused or None,
    )
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: lr_factor(s, cfg.warmup_steps, cfg.max_steps))
    return opt, sched
