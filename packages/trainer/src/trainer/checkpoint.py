"""Native checkpoints (format ``roberta-trainer-checkpoint`` v1, docs/formats.md §4) for exact resume.

``RUNDIR/checkpoints/step_{step:08d}/`` holds ``state.pt`` (model, optimizer, LR scheduler, grad scaler,
per-rank RNG states of python/numpy/torch/cuda, data position) and ``meta.json`` (format, version, step,
tokens seen, model config, ``tokenizer_sha256`` = ``tokenizer.Tokenizer.sha256``, the tokenizer's content
hash, the same value shard manifests record). The folder is written under a temp name and renamed, so a
folder with the final name is complete; only the last ``keep_last`` are kept.

Usage: ``ckpt = load_checkpoint(Path("run/checkpoints/step_00001000")); model.load_state_dict(ckpt.state["model"])``
"""

from __future__ import annotations

import json
import os
import random
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from trainer.errors import TrainerError

FORMAT_NAME = "roberta-trainer-checkpoint"
FORMAT_VERSION = 1


@dataclass(frozen=True)
class Checkpoint:
    """A loaded checkpoint: its folder, ``meta.json`` contents and the ``state.pt`` dictionary."""

    path: Path
    meta: dict[str, Any]
    state: dict[str, Any]

    @property
    def step(self) -> int:
        return int(self.meta["step"])


def rng_state() -> dict[str, Any]:
    """This process's RNG states (python, numpy, torch CPU, every CUDA device)."""
    return {
        "python": random.getstate(),
        "numpy": np.random.get_state(),
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
    }


def set_rng_state(state: dict[str, Any]) -> None:
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    torch.set_rng_state(state["torch"])
    if state.get("cuda") and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def checkpoint_dir(run_dir: Path, step: int) -> Path:
    return Path(run_dir) / "checkpoints" / f"step_{step:08d}"


def list_checkpoints(run_dir: str | Path) -> list[Path]:
    """Complete checkpoint folders of a run, oldest first (temp folders and stray files ignored)."""
    root = Path(run_dir) / "checkpoints"
    if not root.is_dir():
        return []
    found = [
        p
        for p in root.iterdir()
        if p.is_dir()
        and p.name.startswith("step_")
        and p.name[5:].isdigit()
        and (p / "meta.json").is_file()
        and (p / "state.pt").is_file()
    ]
    return sorted(found, key=lambda p: int(p.name[5:]))


def save_checkpoint(
    run_dir: str | Path, step: int, state: dict[str, Any], meta: dict[str, Any], keep_last: int = 3
) -> Path:
    """Write ``state.pt`` + ``meta.json`` under a temp folder, rename it into place, prune old ones."""
    final = checkpoint_dir(Path(run_dir), step)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.with_name(f".{final.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    torch.save(state, tmp / "state.pt")
    full_meta = {"format": FORMAT_NAME, "version": FORMAT_VERSION, "step": step, **meta}
    (tmp / "meta.json").write_text(json.dumps(full_meta, indent=2, sort_keys=True, default=str) + "\n")
    for name in ("state.pt", "meta.json"):
        with open(tmp / name, "rb") as f:
            os.fsync(f.fileno())
    if final.exists():  # re-saving a step (e.g. after a resume): replace it whole
        shutil.rmtree(final)
    os.replace(tmp, final)
    if keep_last > 0:
        for old in list_checkpoints(run_dir)[:-keep_last]:
            shutil.rmtree(old, ignore_errors=True)
    return final


def resolve_checkpoint(path: str | Path) -> Path:
    """Accept a checkpoint folder, its ``state.pt``, or a run folder (-> its latest checkpoint)."""
    path = Path(path)
    if path.is_file() and path.name in ("state.pt", "meta.json"):
        path = path.parent
    if (path / "meta.json").is_file():
        return path
    found = list_checkpoints(path)
    if found:
        return found[-1]
    raise TrainerError(
        f"no checkpoint at {path} (expected a step_* folder with meta.json and state.pt, "
        "or a run folder containing checkpoints/)"
    )


def read_meta(path: str | Path) -> dict[str, Any]:
    """``meta.json`` of a checkpoint, with its format and version checked."""
    folder = resolve_checkpoint(path)
    try:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        raise TrainerError(f"corrupt checkpoint meta {folder / 'meta.json'}: {e}") from None
    if meta.get("format") != FORMAT_NAME or meta.get("version") != FORMAT_VERSION:
        raise TrainerError(
            f"{folder}: expected {FORMAT_NAME} v{FORMAT_VERSION}, got "
            f"{meta.get('format')} v{meta.get('version')}"
        )
    return meta


def load_checkpoint(path: str | Path, map_location: str | torch.device = "cpu") -> Checkpoint:
    """Load a native checkpoint (folder, ``state.pt`` or run folder); one-line error when broken."""
    folder = resolve_checkpoint(path)
    meta = read_meta(folder)
    try:
        # our own files, written by save_checkpoint: they hold numpy RNG state, so not weights_only
        state = torch.load(folder / "state.pt", map_location=map_location, weights_only=False)
    except Exception as e:  # torch raises many types for truncated/corrupt pickles
        raise TrainerError(f"corrupt checkpoint {folder / 'state.pt'}: {type(e).__name__}: {e}") from None
    return Checkpoint(path=folder, meta=meta, state=state)


def load_model(path: str | Path) -> torch.nn.Module:
    """The ``Roberta`` model of a native checkpoint, in eval mode on CPU (for evaluation and export)."""
    from trainer.config import ModelConfig
    from trainer.model import Roberta

    ckpt = load_checkpoint(path)
    model = Roberta(ModelConfig(**ckpt.meta["model"]))
    model.load_state_dict(ckpt.state["model"])
    return model.eval()
