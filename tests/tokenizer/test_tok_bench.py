"""``tok bench`` runs end to end on a small sample and reports its checks (figures themselves are not tested:
speed is read from the benchmark's output, never asserted)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from tokenizer.cli import main


def test_bench_runs_and_checks_identity(roberta_dir: Path, sample_data: Path, tmp_path: Path, capsys):
    cores = os.sched_getaffinity(0)
    out = tmp_path / "bench.json"
    argv = [
        "bench",
        "--tokenizer",
        str(roberta_dir),
        "--input",
        str(sample_data / "english_text" / "inaugural.zip"),
        "--max-bytes",
        "150000",
        "--train-bytes",
        "100000",
        "--workers",
        "1",
        "--rounds",
        "1",
        "--train-vocab",
        "1000",
        "--output",
        str(out),
    ]
    assert main(argv) == 0
    report = json.loads(out.read_text())
    assert report["ids_identical_to_hf"] is True
    assert report["train"]["same_merges"] is True
    assert set(report["mb_per_s"]) >= {
        "hf_encode_batch",
        "project_encode_batch",
        "tiktoken_raw_1thread",
        "tok_encode_wall",
        "tok_encode_after_startup",
    }
    assert "project encode_batch / HF encode_batch" in capsys.readouterr().out
    assert os.sched_getaffinity(0) == cores
    assert out.with_suffix(".png").stat().st_size > 10_000
