"""Pieces of a training run: opening the shards with their checks, fitting the model config to them (or to
an imported HF model), precision, host->device transfer and validation with a fixed mask seed.

Usage: ``train_ds, valid_ds, manifest, specials = open_data(cfg)``
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tokenizer.shards import read_manifest

from trainer.config import Config, ModelConfig
from trainer.data import BlockDataset, Specials
from trainer.distributed import DistContext, all_reduce_sum
from trainer.errors import TrainerError
from trainer.masking import IGNORE, Masker, mask_seed


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


def check_tokenizer_hash(folder: Path, manifest: dict[str, Any]) -> None:
    """When the shards record their tokenizer's hash (``Tokenizer.sha256``), refuse a different tokenizer
    folder."""
    from tokenizer import Tokenizer

    expected = manifest.get("tokenizer_sha256")
    if not expected:
        return
    try:
        got = Tokenizer.from_dir(folder).sha256
    except Exception:  # a folder the tokenizer package cannot read: the vocabulary check decides
        return
    if got != expected:
        raise TrainerError(
            f"tokenizer/shard mismatch: {folder} hashes to {got[:12]}..., the shards were "
            f"encoded with tokenizer {expected[:12]}..."
        )


def resolve_model(
    cfg: Config, manifest: dict[str, Any], specials: Specials
) -> tuple[ModelConfig, dict | None]:
    """Model config fitted to the shards (vocab, pad) or taken from ``--run.init_from``; checks fit."""
    vocab = int(manifest["vocab_size"])
    init_state = None
    if cfg.run.init_from:
        from trainer.export import import_hf

        mcfg, init_state = import_hf(Path(cfg.run.init_from))
        mcfg = dataclasses.replace(mcfg, dropout=cfg.model.dropout, attn_dropout=cfg.model.attn_dropout)
        if mcfg.vocab_size != vocab:
            raise TrainerError(f"--run.init_from model has vocab_size {mcfg.vocab_size}, shards have {vocab}")
    else:
        mcfg = dataclasses.replace(cfg.model, vocab_size=vocab, pad_id=specials.pad)
    need = cfg.data.seq_len + mcfg.pad_id + 1
    if mcfg.max_positions < need:
        raise TrainerError(
            f"seq_len {cfg.data.seq_len} needs model.max_positions >= {need} "
            f"(RoBERTa's padding offset), got {mcfg.max_positions}"
        )
    return mcfg, init_state


def open_data(cfg: Config) -> tuple[BlockDataset, BlockDataset | None, dict[str, Any], Specials]:
    """Train/valid block datasets, the manifest and specials, with the tokenizer/shard vocab check."""
    if not cfg.data.data:
        raise TrainerError("no shards given (--data SHARDS)")
    kw = {"seq_len": cfg.data.seq_len, "fmt": cfg.data.format}
    train_ds = BlockDataset.open(cfg.data.data, "train", verify=cfg.data.verify, **kw)
    manifest = read_manifest(cfg.data.data)
    has_valid = bool(manifest["splits"].get("valid"))
    kw["fmt"] = cfg.data.valid_format or cfg.data.format  # paper ablations score every format alike
    valid_ds = BlockDataset.open(cfg.data.data, "valid", **kw) if has_valid else None
    if cfg.data.tokenizer:
        check_tokenizer_hash(Path(cfg.data.tokenizer), manifest)
        tok_vocab = tokenizer_vocab_size(Path(cfg.data.tokenizer))
        if tok_vocab != int(manifest["vocab_size"]):
            raise TrainerError(
                f"tokenizer/shard vocabulary mismatch: {cfg.data.tokenizer} has {tok_vocab} ids, "
                f"shards {cfg.data.data} were written with vocab_size {manifest['vocab_size']}"
            )
    return train_ds, valid_ds, manifest, Specials.from_manifest(manifest)


def amp_dtype(precision: str, device: torch.device) -> torch.dtype | None:
    if precision == "auto":
        precision = "bf16" if device.type == "cuda" else "fp32"
    table = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}
    if precision not in table:
        raise TrainerError(f"unknown --run.precision {precision!r} (auto, fp32, bf16, fp16)")
    return table[precision]


def make_masker(cfg: Config, mcfg: ModelConfig, sp: Specials) -> Masker:
    return Masker(
        vocab_size=mcfg.vocab_size,
        mask_id=sp.mask,
        special_ids=tuple(sp.ids()),
        mask_prob=cfg.data.mask_prob,
        mask_token_frac=cfg.data.mask_token_frac,
        random_token_frac=cfg.data.random_token_frac,
    )


def to_device(ids: np.ndarray, device: torch.device) -> torch.Tensor:
    t = torch.from_numpy(ids)
    return t.pin_memory().to(device, non_blocking=True) if device.type == "cuda" else t


VALID_SEED = 20190726  # fixed validation mask seed (RoBERTa's arXiv date), independent of the run seed


def evaluate(
    model: torch.nn.Module,
    ds: BlockDataset,
    masker: Masker,
    cfg: Config,
    ctx: DistContext,
    micro: int,
    dtype: torch.dtype | None,
) -> tuple[float, int]:
    """Mean MLM loss over the first ``valid_blocks`` held-out blocks with a fixed mask seed.
    Group ``g`` (blocks ``[g*micro, (g+1)*micro)``) goes to rank ``g % world`` and is masked with seed
    (VALID_SEED, g), so the figure does not depend on the number of ranks."""
    n = min(cfg.data.valid_blocks, len(ds))
    was_training = model.training
    model.eval()
    total = torch.zeros(2, dtype=torch.float64, device=ctx.device)
    with torch.no_grad():
        for g in range(ctx.rank, math.ceil(n / micro), ctx.world):
            ids = to_device(ds.batch(np.arange(g * micro, min(n, (g + 1) * micro))), ctx.device)
            inputs, labels = masker(ids, seed=mask_seed(VALID_SEED, g))
            with autocast(ctx.device, dtype):
                loss = model(inputs, attn_mask=inputs.ne(ds.pad)[:, None, None, :], labels=labels)
            total += torch.stack([loss.double(), labels.ne(IGNORE).sum().double()])
    all_reduce_sum(total, ctx)
    model.train(was_training)
    return float(total[0] / total[1].clamp(min=1)), int(total[1])


def autocast(device: torch.device, dtype: torch.dtype | None) -> contextlib.AbstractContextManager:
    if dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=dtype)
