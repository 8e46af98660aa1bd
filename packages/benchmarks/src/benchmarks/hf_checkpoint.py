"""Any checkpoint as a checked Hugging Face RoBERTa folder: an HF folder as is, or the trainer's native
checkpoint exported on the fly (not the trainer's own checkpoint reader: this is what finetuning loads).

The HF folder must hold ``config.json`` with ``model_type: roberta``, weights (safetensors or a torch bin) and
tokenizer files; the tokenizer's ids must fit the model's embedding table and agree on ``<pad>``. A native
checkpoint (``meta.json`` with ``format: roberta-trainer-checkpoint``, or a trainer run folder holding
``checkpoints/step_*``) is exported with ``trainer.export_hf`` into a temporary HF folder; that reads only its
``meta.json`` and checksum-verified ``model.safetensors`` (an old v1 pickle is refused: export it yourself
with ``python -m trainer export --trust-checkpoint`` if you trust it). Nothing loaded here runs code from the
folder: a torch ``.bin`` must load with ``weights_only=True`` (what transformers does too), and
``trust_remote_code`` is never set.

Usage: ``with as_hf_folder(Path("run/checkpoints/step_00001000")) as hf_dir: ...``
"""

from __future__ import annotations

import contextlib
import json
import tempfile
from collections.abc import Iterator
from pathlib import Path

from benchmarks.errors import BenchError

NATIVE_FORMAT = "roberta-trainer-checkpoint"
WEIGHTS = (
    "model.safetensors",
    "model.safetensors.index.json",
    "pytorch_model.bin",
    "pytorch_model.bin.index.json",
)
TOKENIZER_SETS = (("tokenizer.json",), ("vocab.json", "merges.txt"))


def _native_dir(path: Path) -> Path | None:
    """The native checkpoint folder ``path`` points at (itself, or the latest step of a run folder)."""
    candidates = [path]
    steps = sorted((path / "checkpoints").glob("step_*")) if (path / "checkpoints").is_dir() else []
    if steps:
        candidates.append(steps[-1])
    for c in candidates:
        meta = c / "meta.json"
        if meta.is_file():
            try:
                if json.loads(meta.read_text(encoding="utf-8")).get("format") == NATIVE_FORMAT:
                    return c
            except (OSError, json.JSONDecodeError):
                raise BenchError(f"checkpoint {c}: unreadable meta.json") from None
    return None


def check_hf_dir(path: Path) -> None:
    """Raise ``BenchError`` unless ``path`` is a loadable HF RoBERTa folder whose tokenizer fits the model."""
    cfg_file = path / "config.json"
    if not cfg_file.is_file():
        raise BenchError(f"checkpoint {path} is not RoBERTa-shaped: no config.json (and no native meta.json)")
    try:
        cfg = json.loads(cfg_file.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise BenchError(f"checkpoint {path}: config.json is not JSON: {e}") from None
    if cfg.get("model_type") != "roberta":
        raise BenchError(f"checkpoint {path} is not RoBERTa-shaped: model_type is {cfg.get('model_type')!r}")
    if not any((path / w).is_file() for w in WEIGHTS):
        raise BenchError(f"checkpoint {path} is not RoBERTa-shaped: no weights ({' or '.join(WEIGHTS[::2])})")
    check_bin_weights(path)
    if not any(all((path / f).is_file() for f in s) for s in TOKENIZER_SETS):
        raise BenchError(
            f"checkpoint {path} has no tokenizer files (tokenizer.json or vocab.json+merges.txt)"
        )
    check_vocab(path, cfg)


def check_bin_weights(path: Path) -> None:
    """A torch ``pytorch_model.bin`` must be plain tensors: anything else (a pickle payload) is refused."""
    import torch

    for name in ("pytorch_model.bin",):
        if (path / name).is_file() and not (path / "model.safetensors").is_file():
            try:
                torch.load(path / name, map_location="cpu", weights_only=True, mmap=True)
            except Exception as e:
                msg = " ".join(str(e).split())[:200]
                raise BenchError(
                    f"refused checkpoint {path / name}: not a plain-tensor file ({msg})"
                ) from None


def check_merges_file(path: Path) -> None:
    """A ``merges.txt`` cut short or corrupt (against its ``vocab.json``) is refused, even when a
    ``tokenizer.json`` beside it would be loaded instead: the folder is damaged."""
    from tokenizer.bpe import DamagedTokenizer, check_merges, read_merges

    vocab_file, merges_file = path / "vocab.json", path / "merges.txt"
    if not (vocab_file.is_file() and merges_file.is_file()):
        return
    try:
        vocab = json.loads(vocab_file.read_text(encoding="utf-8"))
        check_merges(merges_file, vocab, read_merges(merges_file))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise BenchError(f"checkpoint {path}: corrupt vocab.json: {e}") from None
    except DamagedTokenizer as e:
        raise BenchError(f"checkpoint {path}: damaged tokenizer: {e}") from None


def check_vocab(path: Path, cfg: dict) -> None:
    """A tokenizer whose ids overflow the embedding table, or disagree on ``<pad>``, is a mismatch."""
    from transformers import AutoTokenizer

    check_merges_file(path)

    try:
        tok = AutoTokenizer.from_pretrained(path)
    except Exception as e:  # corrupt tokenizer files: say so in one line
        raise BenchError(f"checkpoint {path}: cannot load tokenizer: {type(e).__name__}: {e}") from None
    max_id = max(tok.get_vocab().values())
    vocab_size = int(cfg.get("vocab_size", 0))
    if max_id >= vocab_size:
        raise BenchError(
            f"checkpoint {path}: tokenizer/model mismatch: tokenizer ids go up to {max_id} "
            f"but the model's vocab_size is {vocab_size}"
        )
    pad = cfg.get("pad_token_id")
    if pad is not None and tok.pad_token_id != pad:
        raise BenchError(
            f"checkpoint {path}: tokenizer/model mismatch: tokenizer <pad> id {tok.pad_token_id} "
            f"!= model pad_token_id {pad}"
        )


def _export_native(native: Path, out: Path) -> Path:
    try:
        from trainer import export_hf  # lazily: only native checkpoints need the trainer's exporter
    except ImportError:
        raise BenchError(
            f"checkpoint {native} is a native trainer checkpoint but this install's trainer has "
            "no export_hf; export it first with `python -m trainer export`"
        ) from None
    from common import UserError

    try:
        return Path(export_hf(native, out))
    except BenchError:
        raise
    except UserError as e:  # refused (v1 pickle, bad payload) or damaged: the trainer's one line
        raise BenchError(f"checkpoint {native}: {e}") from None
    except Exception as e:
        raise BenchError(f"checkpoint {native}: export to HF failed: {type(e).__name__}: {e}") from None


@contextlib.contextmanager
def as_hf_folder(path: str | Path) -> Iterator[Path]:
    """Yield a checked HF RoBERTa folder for ``path`` (exporting a native checkpoint to a temp folder)."""
    path = Path(path)
    if not path.exists():
        raise BenchError(f"checkpoint {path} does not exist")
    native = _native_dir(path) if path.is_dir() else None
    if native is None:
        if not path.is_dir():
            raise BenchError(f"checkpoint {path} is not RoBERTa-shaped: not a folder")
        check_hf_dir(path)
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="bench-export-") as tmp:
        hf = _export_native(native, Path(tmp) / "hf")
        check_hf_dir(hf)
        yield hf


def model_max_tokens(hf_dir: Path) -> int:
    """Longest input the model's position table allows: RoBERTa positions start after ``pad_token_id``."""
    cfg = json.loads((Path(hf_dir) / "config.json").read_text(encoding="utf-8"))
    return int(cfg.get("max_position_embeddings", 514)) - int(cfg.get("pad_token_id", 1)) - 1


def fit_recipe(recipe, hf_dir: Path):
    """``recipe`` with ``max_seq_len`` capped to what the model accepts (a tiny model may have 64 positions)."""
    import dataclasses

    limit = model_max_tokens(hf_dir)
    return recipe if recipe.max_seq_len <= limit else dataclasses.replace(recipe, max_seq_len=limit)
