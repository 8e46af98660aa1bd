"""Native checkpoints (format ``roberta-trainer-checkpoint`` v2, docs/formats.md §4) for exact resume.

``RUNDIR/checkpoints/step_{step:08d}/`` holds ``model.safetensors`` (the model weights), ``train_state.pt``
(optimizer, LR scheduler, grad scaler, per-rank RNG states as tensors/ints, data position: only what
``torch.load(weights_only=True)`` accepts) and ``meta.json`` (format, version, step, tokens seen, model config,
``tokenizer_sha256`` = ``tokenizer.Tokenizer.sha256``, and ``files``: the sha256 of each file, verified on
load). Loading runs no code from the folder: safetensors is plain tensors, the state file is read with
``weights_only=True``. Evaluation and export read only ``model.safetensors`` + ``meta.json``.

The folder is written under a temp name and renamed, so a folder with the final name is complete; only the
last ``keep_last`` are kept. v1 folders (one pickled ``state.pt``) load only with ``trust=True``
(``--trust-checkpoint``), with a warning line, because unpickling them can run any code.

Usage: ``ckpt = load_checkpoint(Path("run/checkpoints/step_00001000")); model.load_state_dict(ckpt.state["model"])``
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import random
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from common import file_sha256, is_disk_full

from trainer.errors import TrainerError

FORMAT_NAME = "roberta-trainer-checkpoint"
FORMAT_VERSION = 2
LEGACY_VERSION = 1  # one pickled state.pt: loads only when trusted
MODEL_FILE, STATE_FILE, META_FILE, LEGACY_FILE = (
    "model.safetensors",
    "train_state.pt",
    "meta.json",
    "state.pt",
)


class DamagedCheckpoint(TrainerError):
    """A checkpoint that does not read back whole (truncated, checksum mismatch, unreadable meta)."""


@dataclass(frozen=True)
class Checkpoint:
    """A loaded checkpoint: its folder, ``meta.json`` contents and the state dictionary (``model`` + rest)."""

    path: Path
    meta: dict[str, Any]
    state: dict[str, Any]

    @property
    def step(self) -> int:
        return int(self.meta["step"])


def rng_state() -> dict[str, Any]:
    """This process's RNG states (python, numpy, torch CPU, every CUDA device) as tensors and plain values."""
    version, mt, gauss = random.getstate()
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    return {
        "python": {"version": version, "state": torch.tensor(mt, dtype=torch.int64), "gauss": gauss},
        "numpy": {
            "kind": str(kind),
            "keys": torch.from_numpy(np.asarray(keys, dtype=np.int64)),
            "pos": int(pos),
            "has_gauss": int(has_gauss),
            "gauss": float(cached),
        },
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
    }


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore what ``rng_state`` captured (also accepts a v1 checkpoint's native python/numpy tuples)."""
    py, npy = state["python"], state["numpy"]
    if isinstance(py, dict):
        py = (py["version"], tuple(int(x) for x in py["state"].tolist()), py["gauss"])
    if isinstance(npy, dict):
        keys = npy["keys"].numpy().astype(np.uint32)
        npy = (npy["kind"], keys, npy["pos"], npy["has_gauss"], npy["gauss"])
    random.setstate(py)
    np.random.set_state(npy)
    torch.set_rng_state(state["torch"].cpu())
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
        and (p / META_FILE).is_file()
        and ((p / MODEL_FILE).is_file() or (p / LEGACY_FILE).is_file())
    ]
    return sorted(found, key=lambda p: int(p.name[5:]))


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write(path: Path, final: Path, writer) -> str:
    """Run ``writer(path)``, fsync it and return its sha256; a failed write (disk full) is one error line."""
    try:
        writer(path)
        with open(path, "rb") as f:
            os.fsync(f.fileno())
    except Exception as e:  # OSError, torch's RuntimeError, safetensors' error: all one line
        # torch reports a full disk as an inline_container "unexpected pos" error: name the cause instead
        full = is_disk_full(e, path.parent)
        reason = "no space left on device" if full else " ".join(str(e).split()) or type(e).__name__
        raise TrainerError(
            f"cannot write checkpoint {final / path.name}: {reason} "
            f"({shutil.disk_usage(path.parent).free} bytes free); "
            "the previous checkpoint is untouched, free space and re-run the same command"
        ) from None
    return file_sha256(path)


def _write_folder(tmp: Path, final: Path, state: dict[str, Any], meta: dict[str, Any]) -> None:
    from safetensors.torch import save_file

    weights = {k: v.detach().cpu().contiguous() for k, v in state["model"].items()}
    rest = {k: v for k, v in state.items() if k != "model"}
    files = {
        MODEL_FILE: _write(tmp / MODEL_FILE, final, lambda p: save_file(weights, str(p))),
        STATE_FILE: _write(tmp / STATE_FILE, final, lambda p: torch.save(rest, p)),
    }
    text = json.dumps({**meta, "files": files}, indent=2, sort_keys=True, default=str) + "\n"
    _write(tmp / META_FILE, final, lambda p: p.write_text(text, encoding="utf-8"))
    _fsync_dir(tmp)


def save_checkpoint(
    run_dir: str | Path, step: int, state: dict[str, Any], meta: dict[str, Any], keep_last: int = 3
) -> Path:
    """Write the three files under a temp folder, rename it into place, prune old ones; return the folder.

    ``state`` is ``{"model": state_dict, ...}``: the model goes to safetensors, the rest to ``train_state.pt``.
    """
    final = checkpoint_dir(Path(run_dir), step)
    final.parent.mkdir(parents=True, exist_ok=True)
    for stale in final.parent.glob(".step_*.tmp-*"):  # left by a killed save: never a checkpoint
        shutil.rmtree(stale, ignore_errors=True)
    tmp = final.with_name(f".{final.name}.tmp-{os.getpid()}")
    tmp.mkdir()
    try:
        full_meta = {"format": FORMAT_NAME, "version": FORMAT_VERSION, "step": step, **meta}
        _write_folder(tmp, final, state, full_meta)
        if final.exists():  # re-saving a step (e.g. after a resume): move the old one aside, then replace
            old = final.with_name(f".{final.name}.tmp-old-{os.getpid()}")
            os.replace(final, old)
            os.replace(tmp, final)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, final)
        _fsync_dir(final.parent)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if keep_last > 0:
        for old in list_checkpoints(run_dir)[:-keep_last]:
            shutil.rmtree(old, ignore_errors=True)
    return final


def resolve_checkpoint(path: str | Path) -> Path:
    """Accept a checkpoint folder, a file inside it, or a run folder (-> its latest checkpoint)."""
    path = Path(path)
    if path.is_file() and path.name in (LEGACY_FILE, STATE_FILE, MODEL_FILE, META_FILE):
        path = path.parent
    if (path / META_FILE).is_file():
        return path
    found = list_checkpoints(path)
    if found:
        return found[-1]
    raise TrainerError(
        f"no checkpoint at {path} (expected a step_* folder with meta.json and model.safetensors, "
        "or a run folder containing checkpoints/)"
    )


def read_meta(path: str | Path, trust: bool = False) -> dict[str, Any]:
    """``meta.json`` of a checkpoint, format and version checked; a v1 one only with ``trust``."""
    folder = resolve_checkpoint(path)
    try:
        meta = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise DamagedCheckpoint(f"corrupt checkpoint meta {folder / META_FILE}: {e}") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT_NAME:
        raise TrainerError(f"{folder}: not a {FORMAT_NAME} (meta.json format {meta.get('format')!r})")
    version = meta.get("version")
    if version == LEGACY_VERSION and not trust:
        raise TrainerError(
            f"{folder} is a v1 checkpoint: its state.pt is a pickle, and loading it can run any code; "
            "pass --trust-checkpoint only if you trust whoever wrote it"
        )
    if version not in (FORMAT_VERSION, LEGACY_VERSION):
        raise TrainerError(f"{folder}: expected {FORMAT_NAME} v{FORMAT_VERSION}, got v{version}")
    if not isinstance(meta.get("step"), int) or (
        version == FORMAT_VERSION and not isinstance(meta.get("files"), dict)
    ):
        raise DamagedCheckpoint(f"corrupt checkpoint meta {folder / META_FILE}: no step or no file checksums")
    if version == LEGACY_VERSION:
        print(
            f"warning: loading v1 checkpoint {folder} by unpickling state.pt (--trust-checkpoint): "
            "it can run code",
            file=sys.stderr,
        )
    return meta


def _verified(folder: Path, meta: dict[str, Any], name: str) -> bytes:
    """The bytes of ``folder/name``, checked against the sha256 recorded in ``meta.json``.

    The checked bytes are the ones parsed (read once, no mmap): nothing can change between check and load.
    """
    path, want = folder / name, meta.get("files", {}).get(name)
    if want is None:
        raise DamagedCheckpoint(f"checkpoint {folder}: meta.json records no checksum for {name}")
    if not path.is_file():
        raise DamagedCheckpoint(f"checkpoint {folder}: {name} is missing")
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != want:
        raise DamagedCheckpoint(f"checkpoint {path}: checksum mismatch (truncated or altered)")
    return data


def _load_weights(folder: Path, meta: dict[str, Any]) -> dict[str, torch.Tensor]:
    from safetensors.torch import load

    data = _verified(folder, meta, MODEL_FILE)
    try:
        return load(data)
    except Exception as e:
        raise DamagedCheckpoint(
            f"corrupt checkpoint {folder / MODEL_FILE}: {' '.join(str(e).split())}"
        ) from None


def _load_legacy(folder: Path, map_location: Any) -> dict[str, Any]:
    try:  # trusted by the caller (--trust-checkpoint): a v1 state.pt holds numpy RNG state, so a pickle
        return torch.load(folder / LEGACY_FILE, map_location=map_location, weights_only=False)
    except Exception as e:
        raise DamagedCheckpoint(
            f"corrupt checkpoint {folder / LEGACY_FILE}: {type(e).__name__}: {e}"
        ) from None


def load_checkpoint(
    path: str | Path, map_location: str | torch.device = "cpu", *, trust: bool = False
) -> Checkpoint:
    """Load a native checkpoint (folder, a file in it, or a run folder), every file checksum-verified.

    Raises ``DamagedCheckpoint`` for a truncated or altered one, ``TrainerError`` for one that is refused.
    """
    folder = resolve_checkpoint(path)
    meta = read_meta(folder, trust=trust)
    if meta["version"] == LEGACY_VERSION:
        return Checkpoint(path=folder, meta=meta, state=_load_legacy(folder, map_location))
    state_path = folder / STATE_FILE
    data = _verified(folder, meta, STATE_FILE)
    try:
        rest = torch.load(io.BytesIO(data), map_location=map_location, weights_only=True)
    except Exception as e:  # pickle.UnpicklingError for anything but plain tensors and containers
        msg = " ".join(str(e).split())[:300]
        raise TrainerError(f"refused checkpoint {state_path}: not a plain-tensor file ({msg})") from None
    weights = {k: v.to(map_location) for k, v in _load_weights(folder, meta).items()}
    return Checkpoint(path=folder, meta=meta, state={"model": weights, **rest})


def load_weights(path: str | Path, *, trust: bool = False) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """(meta, model state dict) of a native checkpoint from ``meta.json`` + ``model.safetensors`` only."""
    folder = resolve_checkpoint(path)
    meta = read_meta(folder, trust=trust)
    if meta["version"] == LEGACY_VERSION:
        return meta, _load_legacy(folder, "cpu")["model"]
    return meta, _load_weights(folder, meta)


def model_config(meta: dict[str, Any]) -> Any:
    """The ``ModelConfig`` recorded in a checkpoint's ``meta.json`` (a damaged checkpoint when unusable)."""
    from trainer.config import ModelConfig

    try:
        return ModelConfig(**meta["model"])
    except (KeyError, TypeError, ValueError) as e:
        raise DamagedCheckpoint(
            f"checkpoint meta.json has no usable model config: {type(e).__name__}: {e}"
        ) from None


def load_model(path: str | Path, *, trust: bool = False) -> torch.nn.Module:
    """The ``Roberta`` model of a native checkpoint, in eval mode on CPU (for evaluation and export)."""
    from trainer.model import Roberta

    meta, weights = load_weights(path, trust=trust)
    model = Roberta(model_config(meta))
    model.load_state_dict(weights)
    return model.eval()
