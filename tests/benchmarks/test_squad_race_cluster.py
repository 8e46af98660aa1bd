"""``bench squad|race --executor slurm|ray`` on the real engines (tests/engines.py): the same one-job-per-cell
mechanism as ``bench glue`` (benchmarks.cluster): one Slurm array element per sweep cell, result file equal to a
local run of the same cells, finished cells skipped on a re-run (no job, no training)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from test_race import write_race

BENCH = str(Path(sys.executable).parent / "bench")
# two cells (seeds 1 and 2) of a tiny sweep: one array element each
SMALL = ["--recipe.seeds=1,2", "--recipe.epochs=1", "--recipe.batch_sizes=4", "--recipe.max_seq_len=128",
         "--recipe.max_train_examples=12", "--recipe.max_eval_examples=12"]  # fmt: skip
RESULT = {"squad": "squad2.0.json", "race": "race.json"}


def bench(
    command: str, tiny_hf: Path, data: Path, out: Path, *extra: str, env=None
) -> subprocess.CompletedProcess:  # noqa: ANN001, E501
    if (
        command == "squad"
    ):  # no SQuAD train file is local: train and score on the dev file, as test_squad does
        args = ["--version", "2.0", "--train", str(data), "--dev", str(data), "--recipe.doc_stride=32",
                "--recipe.max_query_len=32"]  # fmt: skip
    else:
        args = ["--data", str(data)]
    return subprocess.run([BENCH, command, "--checkpoint", str(tiny_hf), "--out", str(out), *args, *SMALL, *extra],
                          capture_output=True, text=True, env=env, timeout=500)  # fmt: skip


def result(command: str, out: Path) -> dict:
    """The result file; it holds no timings, so a cluster run's must equal the local run's field for field."""
    return json.loads((out / RESULT[command]).read_text())


@pytest.fixture(scope="module")
def inputs(sample_data: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return {"squad": sample_data / "squad" / "cs224n-dev-v2.0-half.json",
            "race": write_race(tmp_path_factory.mktemp("race") / "RACE")}  # fmt: skip


@pytest.fixture(scope="module")
def local(tiny_hf: Path, inputs: dict, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    """Each command's local run, computed once when a test first needs it."""
    found: dict[str, dict] = {}

    def get(command: str) -> dict:
        if command not in found:
            out = tmp_path_factory.mktemp(f"{command}_local")
            r = bench(command, tiny_hf, inputs[command], out)
            assert r.returncode == 0, r.stderr[-2000:]
            found[command] = result(command, out)
            assert found[command]["seeds"] == [1, 2]
        return found[command]

    return get  # type: ignore[return-value]


@pytest.mark.cluster
@pytest.mark.slow  # ~2 minutes each here: every cell job imports torch + transformers
@pytest.mark.parametrize("command", ["squad", "race"])
def test_slurm_one_job_per_cell_equals_local_and_skips_finished(
    command: str,
    slurm_cluster,
    tiny_hf: Path,
    inputs: dict,
    tmp_path: Path,
    local,  # noqa: ANN001
) -> None:
    r = bench(
        command, tiny_hf, inputs[command], tmp_path, "--executor", "slurm", "--executor.mem_per_cpu_gb=1"
    )
    assert r.returncode == 0, r.stderr[-3000:]
    assert result(command, tmp_path) == local(command)
    (logs,) = (tmp_path / "_cluster").iterdir()
    stage = logs / f"00_{command}-cells"
    assert "#SBATCH --array=0-1" in (stage / "launch_script.slurm").read_text()  # one element per cell
    assert len(list((stage / "completions").iterdir())) == 2
    cells = {p: p.stat().st_mtime_ns for p in (tmp_path / "cells").rglob("bs*.json")}
    assert len(cells) == 2
    jobs_before = slurm_cluster.run("squeue", "-h", "-t", "all", "-o", "%i").stdout.split()
    again = bench(command, tiny_hf, inputs[command], tmp_path, "--executor", "slurm")
    assert again.returncode == 0, again.stderr[-3000:]
    assert {p: p.stat().st_mtime_ns for p in cells} == cells  # nothing retrained
    assert slurm_cluster.run("squeue", "-h", "-t", "all", "-o", "%i").stdout.split() == jobs_before  # no job
    assert result(command, tmp_path) == local(command)


@pytest.mark.cluster
@pytest.mark.slow
@pytest.mark.parametrize("command", ["squad", "race"])
def test_ray_equals_local(command: str, ray_head, tiny_hf: Path, inputs: dict, tmp_path: Path, local) -> None:  # noqa: ANN001
    env = {k: v for k, v in {**os.environ, **ray_head.env}.items() if k != "RAY_ADDRESS"}
    r = bench(command, tiny_hf, inputs[command], tmp_path, "--executor", "ray", "--executor.workers=2",
              "--executor.mem_per_cpu_gb=0.5", env=env)  # fmt: skip
    assert r.returncode == 0, r.stderr[-3000:]
    assert result(command, tmp_path) == local(command)


def test_cells_of_squad_and_race_are_the_recipes_and_bad_data_stops_before_submitting(tmp_path: Path) -> None:
    from benchmarks.cluster import bench_cells
    from benchmarks.errors import BenchError
    from benchmarks.sweep import quick, race_recipe, squad_recipe, sweep_cells

    race = write_race(tmp_path / "RACE")
    recipe = race_recipe()
    assert bench_cells("race", {"data": race, "recipe": recipe, "quick": False}) == sweep_cells(recipe)
    assert bench_cells("race", {"data": race, "recipe": recipe, "quick": True}) == sweep_cells(quick(recipe))
    with pytest.raises(BenchError, match="does not exist"):
        bench_cells("race", {"data": tmp_path / "nope", "recipe": recipe, "quick": False})
    with pytest.raises(BenchError):  # a missing SQuAD file is refused before any job is submitted
        bench_cells("squad", {"version": "2.0", "train_file": tmp_path / "no.json", "dev_file": tmp_path / "no.json",
                              "recipe": squad_recipe(), "quick": True})  # fmt: skip
