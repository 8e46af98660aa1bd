"""Checkpoint-and-exit on a scheduler's warning: SIGUSR1 (Slurm ``--signal=USR1@SECONDS`` before the time
limit, forwarded by ``slurm/pretrain.sbatch``) or SIGTERM (preemption, ``scancel``, torchrun forwarding it).

The handler only records the signal; the loop asks ``requested`` at step boundaries, saves a checkpoint at the
current step and returns, so ``--resume`` continues exactly. Under DDP the ranks must stop after the same step:
they agree through an all-reduce of the flag every ``every`` steps (the log interval, where the loop already
reads device values), so there is no extra synchronisation on the other steps.

Usage: ``with StopSignal() as stop: ... if stop.requested(step, ctx, every=10): save; break``
"""

from __future__ import annotations

import signal
import threading
from typing import Any

import torch

from trainer.distributed import DistContext, all_reduce_sum

SIGNALS = (signal.SIGUSR1, signal.SIGTERM)


class StopSignal:
    """Records SIGUSR1/SIGTERM while active (main thread only; elsewhere it never fires)."""

    def __init__(self) -> None:
        self.signum = 0
        self._old: dict[int, Any] = {}

    def __enter__(self) -> StopSignal:
        if threading.current_thread() is threading.main_thread():
            for sig in SIGNALS:
                self._old[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, old in self._old.items():
            signal.signal(sig, old)

    def _handle(self, signum: int, _frame: object) -> None:
        self.signum = signum

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name if self.signum else ""

    def requested(self, step: int, ctx: DistContext, every: int) -> bool:
        """Whether every rank stops after ``step`` (one process: as soon as a signal came)."""
        if ctx.world == 1:
            return self.signum != 0
        if step % max(every, 1):
            return False
        flag = torch.tensor([float(self.signum != 0)], dtype=torch.float64, device=ctx.device)
        agreed = float(all_reduce_sum(flag, ctx)) > 0
        if agreed and not self.signum:
            self.signum = int(signal.SIGTERM)  # another rank got it: stop with the same step
        return agreed
