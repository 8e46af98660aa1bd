"""GPU path (needs CUDA; excluded from the default run): bf16 autocast, pinned transfers, MFU in the logs,
and the native bf16 model agreeing with its fp32 self."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from trainer import apply_overrides, preset, train
from trainer.metrics import read_metrics
from trainer_kit import tiny_overrides

pytestmark = pytest.mark.gpu


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("precision", ["bf16", "fp16"])
def test_cuda_training_logs_mfu(reuters_shards: tuple[Path, Path], tmp_path: Path, precision: str) -> None:
    shards, tok = reuters_shards
    over = tiny_overrides(shards, tok, tmp_path / "run", **{"run.device": "cuda", "run.precision": precision})
    result = train(apply_overrides(preset("tiny"), over))
    assert all(torch.isfinite(torch.tensor(v)) for v in result.losses.values())
    recs = [r for r in read_metrics(tmp_path / "run" / "metrics.jsonl") if r["kind"] == "train"]
    if "H100" in torch.cuda.get_device_name() or "H200" in torch.cuda.get_device_name():
        assert 0 < recs[-1]["mfu"] < 1
