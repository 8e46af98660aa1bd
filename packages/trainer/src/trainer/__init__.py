"""RoBERTa masked-LM pretraining: model, the paper's input formats (FULL-SENTENCES, DOC-SENTENCES, pairs with
NSP, static masking), DDP training with exact resume, native checkpoints and Hugging Face export/import.

Layout: ``config`` (dataclasses, presets, overrides), ``model`` (Roberta, the attention mask, fitting the
model to the shards), ``nsp``, ``optim`` (AdamW, the weight-decay rule, LR schedule), ``masking``,
``precision``, ``distributed``, ``data/`` (blocks, packing, samplers, prefetch, start-up checks),
``formats/`` (``InputFormat`` and ``FORMATS``), ``run`` (a run's state: setup, resume, save), ``loop``
(``train`` and ``train_step``), ``evaluate``, ``metrics``, ``checkpoint``, ``export``, ``cli``, ``bench``.

Names are re-exported lazily so ``python -m trainer --help`` does not import torch.

Usage: ``from trainer import preset, apply_overrides, train, export_hf``
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "Checkpoint": "checkpoint",
    "DamagedCheckpoint": "checkpoint",
    "load_weights": "checkpoint",
    "list_checkpoints": "checkpoint",
    "load_checkpoint": "checkpoint",
    "load_model": "checkpoint",
    "Config": "config",
    "DataConfig": "config",
    "ModelConfig": "config",
    "OptimConfig": "config",
    "RunConfig": "config",
    "apply_overrides": "config",
    "load_config": "config",
    "preset": "config",
    "BlockDataset": "data",
    "TrainerError": "errors",
    "export_hf": "export",
    "import_hf": "export",
    "FORMATS": "formats",
    "InputFormat": "formats",
    "full_sentences_lengths": "formats",
    "matched_batch_size": "formats",
    "plot_run": "metrics",
    "TrainResult": "loop",
    "train": "loop",
    "param_groups": "optim",
}
__all__ = [
    "FORMATS",
    "BlockDataset",
    "Checkpoint",
    "Config",
    "DataConfig",
    "InputFormat",
    "ModelConfig",
    "OptimConfig",
    "RunConfig",
    "TrainResult",
    "TrainerError",
    "apply_overrides",
    "export_hf",
    "full_sentences_lengths",
    "import_hf",
    "list_checkpoints",
    "DamagedCheckpoint",
    "load_checkpoint",
    "load_config",
    "load_model",
    "load_weights",
    "matched_batch_size",
    "param_groups",
    "plot_run",
    "preset",
    "train",
]

if TYPE_CHECKING:
    from trainer.checkpoint import (
        Checkpoint,
        DamagedCheckpoint,
        list_checkpoints,
        load_checkpoint,
        load_model,
        load_weights,
    )
    from trainer.config import (
        Config,
        DataConfig,
        ModelConfig,
        OptimConfig,
        RunConfig,
        apply_overrides,
        load_config,
        preset,
    )
    from trainer.data import BlockDataset
    from trainer.errors import TrainerError
    from trainer.export import export_hf, import_hf
    from trainer.formats import FORMATS, InputFormat, full_sentences_lengths, matched_batch_size
    from trainer.loop import TrainResult, train
    from trainer.metrics import plot_run
    from trainer.optim import param_groups


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"trainer.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'trainer' has no attribute {name!r}")
