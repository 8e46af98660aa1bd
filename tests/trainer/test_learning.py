"""The real thing, small: tiny RoBERTa on Reuters shards learns, i.e. its validation MLM loss falls well
below the unigram baseline (the loss of predicting every masked token from corpus frequencies alone)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from make_shards import make_shards
from tokenizer import open_shards
from trainer.metrics import read_metrics


def unigram_cross_entropy(shards: Path) -> float:
    """Cross-entropy (nats) of the valid tokens under add-one-smoothed train unigram frequencies."""
    train_ids = np.concatenate([s.tokens for s in open_shards(shards, "train")]).astype(np.int64)
    valid_ids = np.concatenate([s.tokens for s in open_shards(shards, "valid")]).astype(np.int64)
    counts = np.bincount(train_ids, minlength=int(max(train_ids.max(), valid_ids.max())) + 1) + 1.0
    return float(-np.log(counts[valid_ids] / counts.sum()).mean())


@pytest.mark.slow
def test_tiny_model_beats_unigram_baseline(sample_data: Path, tmp_path: Path) -> None:
    """The issue's "done when": ``torchrun --nproc-per-node=2 -m trainer --preset tiny`` on CPU (gloo) on
    shards from english_text. Measured: 6.77 -> 5.58 nats against a 6.88 baseline (about 20 min here)."""
    shards, tok = make_shards(tmp_path / "data", sample_data, docs=3000, vocab=4096)
    baseline = unigram_cross_entropy(shards)
    run = tmp_path / "run"
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc-per-node=2",
        "-m",
        "trainer",
        "--preset",
        "tiny",
        "--data",
        str(shards),
        "--tokenizer",
        str(tok),
        "--out",
        str(run),
        "--run.threads=1",
        "--run.progress=false",
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    valid = [r for r in read_metrics(run / "metrics.jsonl") if r["kind"] == "valid"]
    first, final = valid[0]["loss"], valid[-1]["loss"]
    assert valid[-1]["step"] == 2000 and final < first
    assert final < baseline - 0.75, (final, baseline)
