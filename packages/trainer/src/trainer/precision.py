"""Mixed precision: which autocast dtype a run uses, the autocast context, and the fp16 gradient scaler.

``auto`` is bf16 on a GPU and fp32 on CPU; fp16 needs a ``GradScaler`` (enabled only then, a no-op otherwise).

Usage: ``dtype = amp_dtype(cfg.run.precision, device); with autocast(device, dtype): loss = model(...)``
"""

from __future__ import annotations

import contextlib

import torch

from trainer.errors import TrainerError


def amp_dtype(precision: str, device: torch.device) -> torch.dtype | None:
    """The autocast dtype of ``--run.precision`` on ``device``; None for plain fp32."""
    if precision == "auto":
        precision = "bf16" if device.type == "cuda" else "fp32"
    table = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}
    if precision not in table:
        raise TrainerError(f"unknown --run.precision {precision!r} (auto, fp32, bf16, fp16)")
    return table[precision]


def autocast(device: torch.device, dtype: torch.dtype | None) -> contextlib.AbstractContextManager:
    """``torch.autocast`` for ``dtype``, or a null context for fp32."""
    if dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=dtype)


def grad_scaler(device: torch.device, dtype: torch.dtype | None) -> torch.amp.GradScaler:
    """A ``GradScaler`` that scales only under fp16 (bf16 and fp32 need none)."""
    return torch.amp.GradScaler(device.type, enabled=dtype is torch.float16)
