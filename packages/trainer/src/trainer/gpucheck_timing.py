"""Timing shared by both sides of ``trainer gpucheck``: warm-up steps, then timed steps with the device
synchronised at both ends.

Usage: ``secs = timed(lambda k: step(k), steps=10, warmup=WARMUP[0], device=dev)``
"""

from __future__ import annotations

import time

WARMUP = [3]  # untimed steps per shape (1 in the smoke run)


def timed(fn, steps: int, warmup: int, device) -> float:
    """Seconds for ``steps`` calls of ``fn(k)`` after ``warmup`` untimed ones (device synchronised)."""
    import torch

    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    for k in range(warmup):
        fn(k)
    sync()
    t0 = time.perf_counter()
    for k in range(warmup, warmup + steps):
        fn(k)
    sync()
    return time.perf_counter() - t0
