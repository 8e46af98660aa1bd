"""Helpers shared by the trainer tests (a uniquely named module: every folder's ``conftest`` shares one name)."""

from __future__ import annotations

from pathlib import Path


def tiny_overrides(shards: Path, tok: Path, out: Path, **extra: object) -> list[str]:
    """Override strings for a very small, fast tiny-preset run."""
    base = {
        "data.data": shards,
        "data.tokenizer": tok,
        "run.out": out,
        "data.seq_len": 64,
        "model.max_positions": 66,
        "model.hidden": 64,
        "model.ffn": 128,
        "optim.batch_size": 8,
        "optim.micro_batch": 4,
        "optim.max_steps": 6,
        "optim.warmup_steps": 2,
        "run.log_every": 1,
        "run.eval_every": 3,
        "run.save_every": 3,
        "run.progress": False,
        "data.valid_blocks": 16,
        "run.threads": 1,
    }
    base.update(extra)
    return [f"--{k}={v}" for k, v in base.items()]


class Payload:
    """Unpickling this creates ``marker`` (``open(marker, "w")``): the stand-in for code a shared file runs."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self) -> tuple:
        return (open, (self.marker, "w"))
