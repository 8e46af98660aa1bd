"""A finetuning cell's progress and its per-epoch resume state (model, optimizer, scheduler, scaler, RNG).

The state is written with the trainer's checkpoint writer (``trainer.checkpoint.save_checkpoint``): weights
in ``model.safetensors``, the rest as plain tensors/containers in ``train_state.pt`` (read back with
``torch.load(weights_only=True)``: no code runs from the file), ``meta.json`` with the progress (epochs'
metrics, step losses, best score) and every file's sha256, checked on load; the folder is renamed into place,
so a folder with its final name is complete. A cell killed mid-epoch resumes from its last finished epoch.

Usage: ``save_state(dir, progress, model, opt, sched, scaler)``; ``progress = load_state(dir, model, opt,
sched, scaler)`` (None when nothing was saved)
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

KIND = "finetune-cell"


@dataclass
class Progress:
    """Finished epochs of a cell: their dev metrics, every step's train loss, and the best headline so far."""

    epoch: int = 0
    history: list[dict[str, float]] = field(default_factory=list)
    step_loss: list[float] = field(default_factory=list)
    best: float = -math.inf

    def add(self, metrics: dict[str, float], losses: list[float], board: Any = None) -> None:
        """Record one finished epoch (and mirror it to a TensorBoard writer when given)."""
        first = len(self.step_loss)
        self.epoch += 1
        self.history.append(metrics)
        self.step_loss += losses
        if board is not None:
            for i, loss in enumerate(losses, first + 1):
                board.add_scalar("train/loss", loss, i)
            for key, value in metrics.items():
                if key != "epoch":
                    board.add_scalar(
                        f"dev/{key}" if key != "train_loss" else "train/epoch_loss", value, self.epoch
                    )


def save_state(state_dir: Path, done: Progress, model: Any, opt: Any, sched: Any, scaler: Any) -> Path:
    """Write the cell's state after epoch ``done.epoch`` (only the latest is kept)."""
    from trainer.checkpoint import rng_state, save_checkpoint

    state = {
        "model": model.state_dict(),
        "optimizer": opt.state_dict(),
        "scheduler": sched.state_dict(),
        "scaler": scaler.state_dict(),
        "rng": rng_state(),
    }
    meta = {"kind": KIND, "epoch": done.epoch, "progress": asdict(done)}
    return save_checkpoint(state_dir, done.epoch, state, meta, keep_last=1)


def load_state(state_dir: Path, model: Any, opt: Any, sched: Any, scaler: Any) -> Progress | None:
    """Restore the latest saved epoch into the given objects and return its progress; None when none."""
    from trainer.checkpoint import list_checkpoints, load_checkpoint, set_rng_state

    from benchmarks.errors import BenchError

    if not list_checkpoints(state_dir):
        return None
    ckpt = load_checkpoint(state_dir, map_location="cpu")
    if ckpt.meta.get("kind") != KIND:
        raise BenchError(f"{ckpt.path}: not a finetuning cell's state (kind {ckpt.meta.get('kind')!r})")
    model.load_state_dict(ckpt.state["model"])
    opt.load_state_dict(ckpt.state["optimizer"])
    sched.load_state_dict(ckpt.state["scheduler"])
    if ckpt.state["scaler"]:
        scaler.load_state_dict(ckpt.state["scaler"])
    set_rng_state(ckpt.state["rng"])
    p = ckpt.meta["progress"]
    return Progress(
        epoch=int(p["epoch"]), history=p["history"], step_loss=p["step_loss"], best=float(p["best"])
    )
