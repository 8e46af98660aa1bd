"""``--tensorboard DIR``: a pretraining run mirrors metrics.jsonl into TensorBoard event files."""

from __future__ import annotations

import json
from pathlib import Path

from trainer.cli import main
from trainer.tensorboard import read_scalars
from trainer_kit import tiny_overrides


def test_pretraining_writes_tensorboard_beside_metrics_jsonl(reuters_shards, tmp_path: Path) -> None:
    shards, tok = reuters_shards
    run, board = tmp_path / "run", tmp_path / "tb"
    assert main(["--preset", "tiny", *tiny_overrides(shards, tok, run), "--tensorboard", str(board)]) == 0
    records = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines()]
    scalars = read_scalars(board)
    train = [(r["step"], r["loss"]) for r in records if r["kind"] == "train"]
    valid = [(r["step"], r["loss"]) for r in records if r["kind"] == "valid"]
    assert [s for s, _ in scalars["train/loss"]] == [s for s, _ in train]
    assert all(
        abs(a - b) < 1e-5 * max(1, abs(b))
        for (_, a), (_, b) in zip(scalars["train/loss"], train, strict=True)
    )
    assert [s for s, _ in scalars["valid/loss"]] == [s for s, _ in valid] and valid
    assert "train/lr" in scalars
