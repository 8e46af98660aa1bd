"""The real thing, small: tiny RoBERTa on Reuters shards learns, i.e. its validation MLM loss falls well
below the unigram baseline (the loss of predicting every masked token from corpus frequencies alone)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import make_shards
from tokenizer.shards import open_shards
from trainer import apply_overrides, preset, train


def unigram_cross_entropy(shards: Path) -> float:
    """Cross-entropy (nats) of the valid tokens under add-one-smoothed train unigram frequencies."""
    train_ids = np.concatenate([s.tokens for s in open_shards(shards, "train")]).astype(np.int64)
    valid_ids = np.concatenate([s.tokens for s in open_shards(shards, "valid")]).astype(np.int64)
    counts = np.bincount(train_ids, minlength=int(max(train_ids.max(), valid_ids.max())) + 1) + 1.0
    return float(-np.log(counts[valid_ids] / counts.sum()).mean())


@pytest.mark.slow
def test_tiny_model_beats_unigram_baseline(sample_data: Path, tmp_path: Path) -> None:
    shards, tok = make_shards(tmp_path / "data", sample_data, docs=3000, vocab=4096)
    baseline = unigram_cross_entropy(shards)
    cfg = apply_overrides(
        preset("tiny"),
        [
            f"--data.data={shards}",
            f"--data.tokenizer={tok}",
            f"--run.out={tmp_path / 'run'}",
            "--run.progress=false",
        ],
    )
    result = train(cfg)
    final = result.valid[max(result.valid)]
    first = result.valid[min(result.valid)]
    assert final < first
    assert final < baseline - 0.75, (final, baseline)
