"""Training configuration: frozen keyword-only dataclasses per component, the paper's values as defaults
(RoBERTa Table 9), presets as Python functions, and typed ``--section.field=value`` overrides (common's
parser, the one every CLI of the project uses).

Usage: ``cfg = apply_overrides(preset("tiny"), ["--optim.lr=1e-3"])``
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import common
from common import OverrideError, write_json_atomic

from trainer.errors import TrainerError, TrainerOverrideError


@dataclass(frozen=True, kw_only=True)
class ModelConfig:
    """Transformer shape. ``vocab_size`` is resolved from the tokenizer / shard manifest at run time."""

    vocab_size: int = 50265
    hidden: int = 768
    layers: int = 12
    heads: int = 12
    ffn: int = 3072
    max_positions: int = 514  # 512 tokens + RoBERTa's padding offset (padding_idx + 1 = 2)
    dropout: float = 0.1
    attn_dropout: float = 0.1
    pad_id: int = 1
    layer_norm_eps: float = 1e-5
    init_std: float = 0.02
    nsp: bool = False  # next-sentence-prediction head (paper §4.2 +NSP formats); set from data.format


@dataclass(frozen=True, kw_only=True)
class DataConfig:
    """Where the shards are and how blocks are built and masked (paper §4.1-4.2)."""

    data: str = ""
    tokenizer: str = ""
    format: str = "full-sentences"
    seq_len: int = 512
    mask_prob: float = 0.15
    mask_token_frac: float = 0.8  # of the selected: 80% <mask>
    random_token_frac: float = 0.1  # 10% random token (remaining 10% unchanged)
    valid_blocks: int = 256  # held-out blocks scored at each evaluation (fixed mask seed)
    verify: bool = True  # sha256-check every shard file at start-up (turn off for huge corpora)
    static_dupes: int = 0  # static masking (§4.1): copies each with one fixed mask (BERT: 10); 0 = dynamic
    valid_format: str = (
        ""  # format of the held-out blocks; "" = data.format (paper ablations: full-sentences)
    )


@dataclass(frozen=True, kw_only=True)
class OptimConfig:
    """AdamW + linear warmup/decay; ``batch_size`` counts sequences per optimizer step over all ranks."""

    lr: float = 6e-4
    beta1: float = 0.9
    beta2: float = 0.98
    eps: float = 1e-6
    weight_decay: float = 0.01
    warmup_steps: int = 24000
    max_steps: int = 500000
    clip: float = 0.0  # max grad norm; 0 = off
    batch_size: int = 8192
    micro_batch: int = 32  # sequences per rank per forward pass


@dataclass(frozen=True, kw_only=True)
class RunConfig:
    """Where results go and how the run behaves (precision, logging, checkpoints)."""

    out: str = ""
    seed: int = 0
    device: str = "auto"  # auto | cpu | cuda
    precision: str = "auto"  # auto (bf16 on GPU, fp32 on CPU) | fp32 | bf16 | fp16
    compile: bool = False  # torch.compile the model (graph-break free: fixed-capacity MLM head)
    attention: str = "auto"  # masked | jagged (padding packed away, no mask) | auto (jagged on CUDA)
    peak_tflops: float = 0.0  # this GPU's dense bf16 peak for MFU; 0 = look it up by device name
    threads: int = 0  # torch intra-op threads on CPU; 0 = leave torch's default
    log_every: int = 10
    eval_every: int = 500
    save_every: int = 1000
    keep_last: int = 3
    resume: bool = False
    trust_checkpoint: bool = False  # also load v1 checkpoints (a pickle: can run code); never by default
    stop_at: int = 0  # stop after this step as if killed (schedule still runs to max_steps); 0 = off
    init_from: str = ""  # Hugging Face RoBERTa folder to start from
    progress: bool = True
    tensorboard: str = ""  # also write TensorBoard event files here (needs the tensorboard package)


@dataclass(frozen=True, kw_only=True)
class Config:
    """The whole resolved training configuration, saved as ``RUNDIR/config.json``."""

    preset: str = "base"
    model: ModelConfig = field(default_factory=ModelConfig)
    data: DataConfig = field(default_factory=DataConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    run: RunConfig = field(default_factory=RunConfig)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Config:
        sections = {f.name: f.type for f in dataclasses.fields(cls)}
        kw: dict[str, Any] = {"preset": d.get("preset", "base")}
        for name, sub in (
            ("model", ModelConfig),
            ("data", DataConfig),
            ("optim", OptimConfig),
            ("run", RunConfig),
        ):
            assert name in sections
            known = {f.name for f in dataclasses.fields(sub)}
            unknown = set(d.get(name, {})) - known
            if unknown:
                raise TrainerError(f"unknown config keys in {name}: {sorted(unknown)}")
            kw[name] = sub(**d.get(name, {}))
        return cls(**kw)


def tiny() -> Config:
    """A 2-layer, 128-wide model on 128-token blocks: CPU tests, benchmarks and smoke runs. 2,000 steps of
    32 blocks take its validation loss well below the unigram baseline on the english_text sample."""
    return Config(
        preset="tiny",
        model=ModelConfig(hidden=128, layers=2, heads=2, ffn=512, max_positions=130),
        data=DataConfig(seq_len=128, valid_blocks=128),
        optim=OptimConfig(lr=1e-3, warmup_steps=100, max_steps=2000, batch_size=32, micro_batch=16),
        run=RunConfig(log_every=10, eval_every=200, save_every=500),
    )


def base() -> Config:
    """RoBERTa-base (L12 H768 A12, FFN 3072), Table 9: peak LR 6e-4, warmup 24k, 500k steps, batch 8k."""
    return Config(preset="base")


def large() -> Config:
    """RoBERTa-large (L24 H1024 A16, FFN 4096), Table 9: peak LR 4e-4, warmup 30k, 500k steps, batch 8k."""
    return Config(
        preset="large",
        model=ModelConfig(hidden=1024, layers=24, heads=16, ffn=4096),
        optim=OptimConfig(lr=4e-4, warmup_steps=30000),
    )


PRESETS = {"tiny": tiny, "base": base, "large": large}


def preset(name: str) -> Config:
    """The named preset's config; a clear error for an unknown name."""
    if name not in PRESETS:
        raise TrainerError(f"unknown preset {name!r} (choose from {', '.join(PRESETS)})")
    return PRESETS[name]()


def apply_overrides(cfg: Config, overrides: Sequence[str]) -> Config:
    """``common.apply_overrides`` for a training ``Config``: apply ``--section.field=value`` strings in order
    (typed by the dataclasses; unknown keys are errors). A bad one raises ``TrainerOverrideError``, which is
    both a ``TrainerError`` and common's ``OverrideError``, with common's message."""
    try:
        return common.apply_overrides(cfg, overrides)
    except OverrideError as e:
        raise TrainerOverrideError(str(e)) from None


def save_config(cfg: Config, path: Path) -> None:
    """Write the resolved config as JSON, atomically."""
    write_json_atomic(path, cfg.to_dict())


def load_config(path: Path) -> Config:
    """Read a config written by ``save_config``."""
    try:
        return Config.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))
    except (OSError, json.JSONDecodeError) as e:
        raise TrainerError(f"cannot read config {path}: {e}") from None
