"""``tok encode --executor slurm|ray --tasks N`` on the real engines (tests/engines.py): the units spread over
cluster tasks give the same shards as ``--workers 1`` (names, counts, checksums), and a re-run after losing a
task and one unit re-encodes only that unit."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from tokenizer import read_manifest

TOK = str(Path(sys.executable).parent / "tok")
SPLIT = ["--valid-fraction", "0.2", "--unit-mb", "0.3", "--quiet"]


@pytest.fixture(scope="module")
def inputs(sample_data: Path) -> list[str]:
    return [str(sample_data / "english_text" / n) for n in ("inaugural.zip", "webtext.zip")]


@pytest.fixture(scope="module")
def reference(roberta_dir: Path, inputs: list[str], tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = tmp_path_factory.mktemp("ref")
    r = subprocess.run([TOK, "encode", "--tokenizer", str(roberta_dir), "--input", *inputs, "--output",
                        str(out), "--workers", "1", *SPLIT], capture_output=True, text=True)  # fmt: skip
    assert r.returncode == 0, r.stderr
    splits = read_manifest(out)["splits"]
    assert len(splits["train"]) >= 4  # enough units for two tasks
    return splits


def encode(roberta_dir: Path, inputs: list[str], out: Path, *extra: str, env=None) -> None:  # noqa: ANN001
    r = subprocess.run([TOK, "encode", "--tokenizer", str(roberta_dir), "--input", *inputs, "--output",
                        str(out), *SPLIT, *extra], capture_output=True, text=True, env=env, timeout=400)  # fmt: skip
    assert r.returncode == 0, r.stderr[-3000:]


@pytest.mark.cluster
def test_slurm_encode_equals_one_worker_and_resumes(
    slurm_cluster, roberta_dir: Path, inputs: list[str], reference: dict, tmp_path: Path
) -> None:
    args = ["--executor", "slurm", "--tasks", "2", "--executor.mem_per_cpu_gb=0.5"]
    encode(roberta_dir, inputs, tmp_path, *args)
    assert read_manifest(tmp_path)["splits"] == reference
    # lose task 1's completion and its first unit (unit 1: index % 2 == 1), then re-run
    progress = tmp_path / ".progress"
    (progress / "logs" / "00_encode" / "completions" / "00001").unlink()
    (progress / "unit-00001.json").unlink()
    (tmp_path / "manifest.json").unlink()
    kept = {p.name: p.stat().st_mtime_ns for p in progress.glob("unit-*.json")}
    encode(roberta_dir, inputs, tmp_path, *args)
    assert read_manifest(tmp_path)["splits"] == reference
    assert {p.name: p.stat().st_mtime_ns for p in progress.glob("unit-*.json") if p.name in kept} == kept
    assert (progress / "unit-00001.json").is_file()
    task_stats = json.loads((progress / "logs" / "00_encode" / "stats" / "00001.json").read_text())
    assert task_stats[0]["stats"]["units_encoded"] == 1  # only the lost unit was encoded again


@pytest.mark.cluster
def test_ray_encode_equals_one_worker(
    ray_head, roberta_dir: Path, inputs: list[str], reference: dict, tmp_path: Path
) -> None:
    env = {k: v for k, v in {**os.environ, **ray_head.env}.items() if k != "RAY_ADDRESS"}
    encode(roberta_dir, inputs, tmp_path, "--executor", "ray", "--tasks", "2", "--executor.workers=2",
           "--executor.mem_per_cpu_gb=0.25", env=env)  # fmt: skip
    assert read_manifest(tmp_path)["splits"] == reference


def test_executor_settings_need_a_cluster_executor(
    roberta_dir: Path, inputs: list[str], tmp_path: Path
) -> None:
    r = subprocess.run([TOK, "encode", "--tokenizer", str(roberta_dir), "--input", *inputs, "--output",
                        str(tmp_path), "--executor.tasks=2"], capture_output=True, text=True)  # fmt: skip
    assert r.returncode == 2 and r.stderr == "error: --executor.tasks=2 needs --executor slurm or ray\n"
