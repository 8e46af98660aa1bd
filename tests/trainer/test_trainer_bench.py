"""The bench command runs end to end and reports consistent ratios (slow: it trains two loops)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from trainer.cli import main


@pytest.mark.slow
def test_bench_command(reuters_shards: tuple[Path, Path], tmp_path: Path) -> None:
    shards, tok = reuters_shards
    out = tmp_path / "bench.json"
    argv = [
        "bench",
        "--data",
        str(shards),
        "--tokenizer",
        str(tok),
        "--steps",
        "2",
        "--warmup",
        "1",
        "--rounds",
        "1",
        "--threads",
        "1",
        "--out",
        str(out),
        "--model.hidden=64",
        "--model.ffn=128",
    ]
    assert main(argv) == 0
    res = json.loads(out.read_text())
    for key in ("trainer_tokens_per_s", "hf_tokens_per_s", "data_tokens_per_s"):
        assert res[key] > 0
    assert res["trainer_over_hf_tokens_per_s"] == pytest.approx(
        res["trainer_tokens_per_s"] / res["hf_tokens_per_s"]
    )
    assert out.with_suffix(".png").stat().st_size > 5_000
