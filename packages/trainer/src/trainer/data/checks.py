"""A run's data, opened with its start-up checks: shards present and intact, the tokenizer the shards were
encoded with (same content hash, same vocabulary), train/valid blocks in the configured input format.

The tokenizer's identity is ``tokenizer.Tokenizer.sha256`` (a hash of its content), the same value shard
manifests record; the run keeps it for its checkpoint metadata.

Usage: ``data = open_data(cfg); data.train, data.valid, data.fmt, data.specials``
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tokenizer import Tokenizer, read_manifest
from tokenizer.bpe import DamagedTokenizer

from trainer.config import Config
from trainer.data.blocks import BlockDataset, Specials
from trainer.errors import TrainerError
from trainer.formats import StaticMasking


@dataclass(frozen=True)
class RunData:
    """What ``open_data`` found: blocks of both splits, the training format, manifest, specials, tokenizer."""

    train: BlockDataset
    valid: BlockDataset | None
    fmt: Any  # the training InputFormat (the train blocks' format, wrapped for static masking)
    manifest: dict[str, Any]
    specials: Specials
    tokenizer_sha256: str | None


def tokenizer_vocab_size(folder: Path) -> int:
    """Vocabulary size of a tokenizer folder: highest id in vocab.json (or tokenizer.json's model vocab)
    and tokenizer.json's added tokens, plus one."""
    vocab_path, tj = folder / "vocab.json", folder / "tokenizer.json"
    if not vocab_path.is_file() and not tj.is_file():
        raise TrainerError(f"tokenizer folder {folder} has neither vocab.json nor tokenizer.json")
    ids: list[int] = []
    if vocab_path.is_file():
        ids += json.loads(vocab_path.read_text(encoding="utf-8")).values()
    if tj.is_file():
        spec = json.loads(tj.read_text(encoding="utf-8"))
        if not ids:
            ids += (spec.get("model") or {}).get("vocab", {}).values()
        ids += [t["id"] for t in spec.get("added_tokens", [])]
    return max(ids) + 1


def tokenizer_sha256(folder: str | Path | None) -> str | None:
    """``Tokenizer.sha256`` of a tokenizer folder (its content hash); None without a folder or when the
    tokenizer package cannot read its layout (then the vocabulary check alone decides). A damaged folder
    (``merges.txt`` cut short, corrupt files) is an error."""
    if not folder:
        return None
    try:
        return Tokenizer.from_dir(Path(folder)).sha256
    except DamagedTokenizer as e:  # cut short or corrupt: never train on it
        raise TrainerError(str(e)) from None
    except Exception:
        return None


def check_tokenizer_hash(folder: Path, manifest: dict[str, Any], got: str | None) -> None:
    """When the shards record their tokenizer's hash, refuse a tokenizer folder with another one."""
    expected = manifest.get("tokenizer_sha256")
    if expected and got and got != expected:
        raise TrainerError(
            f"tokenizer/shard mismatch: {folder} hashes to {got[:12]}..., the shards were "
            f"encoded with tokenizer {expected[:12]}..."
        )


def open_data(cfg: Config) -> RunData:
    """Train/valid blocks, training format, manifest and specials, after the tokenizer/shard checks."""
    if not cfg.data.data:
        raise TrainerError("no shards given (--data SHARDS)")
    kw = {"seq_len": cfg.data.seq_len, "fmt": cfg.data.format}
    train = BlockDataset.open(cfg.data.data, "train", verify=cfg.data.verify, **kw)
    manifest = read_manifest(cfg.data.data)
    has_valid = bool(manifest["splits"].get("valid"))
    kw["fmt"] = cfg.data.valid_format or cfg.data.format  # paper ablations score every format alike
    valid = BlockDataset.open(cfg.data.data, "valid", **kw) if has_valid else None
    tok_hash = tokenizer_sha256(cfg.data.tokenizer)
    if cfg.data.tokenizer:
        check_tokenizer_hash(Path(cfg.data.tokenizer), manifest, tok_hash)
        tok_vocab = tokenizer_vocab_size(Path(cfg.data.tokenizer))
        if tok_vocab != int(manifest["vocab_size"]):
            raise TrainerError(
                f"tokenizer/shard vocabulary mismatch: {cfg.data.tokenizer} has {tok_vocab} ids, "
                f"shards {cfg.data.data} were written with vocab_size {manifest['vocab_size']}"
            )
    fmt = train.fmt
    if cfg.data.static_dupes > 0:
        fmt = StaticMasking(fmt, dupes=cfg.data.static_dupes, seed=cfg.run.seed)
    return RunData(train, valid, fmt, manifest, Specials.from_manifest(manifest), tok_hash)
