"""``bench glue --executor slurm|ray`` on the real engines (tests/engines.py): one job per sweep cell, result
files equal to a local run of the same cells, finished cells skipped on a re-run (no job, no training)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = str(Path(sys.executable).parent / "bench")
TASKS = ("rte", "sst2")


def bench(tiny_hf: Path, glue: Path, out: Path, *extra: str, env=None) -> subprocess.CompletedProcess:  # noqa: ANN001
    return subprocess.run([BENCH, "glue", "--checkpoint", str(tiny_hf), "--tasks", ",".join(TASKS), "--data",
                           str(glue), "--out", str(out), "--quick", *extra],
                          capture_output=True, text=True, env=env, timeout=500)  # fmt: skip


def results(out: Path) -> dict[str, dict]:
    """Each task's result without the timing fields a run may differ in."""
    found = {}
    for task in TASKS:
        r = json.loads((out / f"{task}.json").read_text())
        found[task] = {k: r[k] for k in ("task", "metric", "seeds", "per_seed", "metrics", "checkpoint")}
        found[task]["chosen"] = r["config"]["chosen"]
    return found


@pytest.fixture(scope="module")
def local_results(tiny_hf: Path, sample_data: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = tmp_path_factory.mktemp("glue_local")
    r = bench(tiny_hf, sample_data / "glue", out)
    assert r.returncode == 0, r.stderr[-2000:]
    return results(out)


@pytest.mark.cluster
@pytest.mark.slow  # ~2 minutes each here: every cell job imports torch + transformers
def test_slurm_glue_one_job_per_cell_equals_local_and_skips_finished(
    slurm_cluster, tiny_hf: Path, sample_data: Path, tmp_path: Path, local_results: dict
) -> None:
    r = bench(tiny_hf, sample_data / "glue", tmp_path, "--executor", "slurm", "--executor.mem_per_cpu_gb=1")
    assert r.returncode == 0, r.stderr[-3000:]
    assert results(tmp_path) == local_results
    (logs,) = (tmp_path / "_cluster").iterdir()
    script = (logs / "00_glue-cells" / "launch_script.slurm").read_text()
    assert "#SBATCH --array=0-1" in script  # one array job element per cell: 2 tasks x 1 quick cell
    assert len(list((logs / "00_glue-cells" / "completions").iterdir())) == 2
    cells = {p: p.stat().st_mtime_ns for p in (tmp_path / "cells").rglob("bs*.json")}
    assert len(cells) == 2
    jobs_before = slurm_cluster.run("squeue", "-h", "-t", "all", "-o", "%i").stdout.split()
    again = bench(tiny_hf, sample_data / "glue", tmp_path, "--executor", "slurm")
    assert again.returncode == 0, again.stderr[-3000:]
    assert {p: p.stat().st_mtime_ns for p in cells} == cells  # nothing retrained
    assert slurm_cluster.run("squeue", "-h", "-t", "all", "-o", "%i").stdout.split() == jobs_before  # no job
    assert results(tmp_path) == local_results


@pytest.mark.cluster
@pytest.mark.slow
def test_ray_glue_equals_local(
    ray_head, tiny_hf: Path, sample_data: Path, tmp_path: Path, local_results: dict
) -> None:
    env = {k: v for k, v in {**os.environ, **ray_head.env}.items() if k != "RAY_ADDRESS"}
    r = bench(tiny_hf, sample_data / "glue", tmp_path, "--executor", "ray", "--executor.workers=2",
              "--executor.mem_per_cpu_gb=0.5", env=env)  # fmt: skip
    assert r.returncode == 0, r.stderr[-3000:]
    assert results(tmp_path) == local_results


def test_cells_are_the_local_sweep_order() -> None:
    from benchmarks.cluster import glue_cells
    from benchmarks.sweep import glue_recipe, sweep_cells

    recipe = glue_recipe()
    cells = glue_cells(["rte", "cola"], recipe)
    assert len(cells) == 2 * 6 * 5  # Table 10: 6 settings x 5 seeds per task
    assert cells[:30] == [("rte", *c) for c in sweep_cells(recipe)] and cells[30][0] == "cola"
