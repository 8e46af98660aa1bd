"""The same stages on datatrove's Slurm and Ray executors.

Slurm: the real ``SlurmPipelineExecutor`` submission path runs against a stand-in ``sbatch`` on PATH that
records its arguments (no cluster here); the test inspects the generated sbatch scripts and dependency chain,
then runs the pickled first-stage job the way a Slurm node would (``launch_pickled_pipeline`` with
``SLURM_ARRAY_TASK_ID``). Ray: a real local Ray run (slow; needs the ``ray`` extra).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from corpus import ExecutorConfig, build_cc_news, read_documents
from corpus.errors import CorpusError

# Read when ray is first imported (datatrove.executor imports it): Ray workers must use this environment, not a
# fresh `uv run` one without the ray extra.
os.environ.setdefault("RAY_ENABLE_UV_RUN_RUNTIME_ENV", "0")

SCONTROL = """#!/bin/sh
echo "$3"
"""
SBATCH = """#!/bin/sh
echo "$@" >> "$SBATCH_LOG"
n=$(wc -l < "$SBATCH_LOG")
echo "Submitted batch job $((1000 + n))"
"""


def test_slurm_submission_and_pickled_job(
    mirror: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for name, script in (("sbatch", SBATCH), ("scontrol", SCONTROL)):  # stand-ins for the cluster's tools
        (bindir / name).write_text(script)
        (bindir / name).chmod(0o755)
    log = tmp_path / "sbatch.log"
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("SBATCH_LOG", str(log))
    out = tmp_path / "out"
    cfg = ExecutorConfig(
        kind="slurm", partition="cpu-long", time="12:00:00", cpus_per_task=2, mem_per_cpu_gb=3
    )
    facts = build_cc_news(mirror, out, "2016-09", "2019-02", tasks=2, limit=10, executor=cfg)
    assert facts["submitted_stages"][0] == "docs" and facts["submitted_stages"][-1] == "write-shards"

    stage_dirs = sorted(p for p in (out / "_work" / "logs").iterdir() if p.is_dir())
    assert [p.name.split("_", 1)[1] for p in stage_dirs] == facts["submitted_stages"]
    docs_script = (stage_dirs[0] / "launch_script.slurm").read_text()
    for line in ("#SBATCH --partition=cpu-long", "#SBATCH --time=12:00:00", "#SBATCH --cpus-per-task=2",
                 "#SBATCH --mem-per-cpu=3G", "#SBATCH --array=0-1", "launch_pickled_pipeline"):  # fmt: skip
        assert line in docs_script, line
    buckets = next(p for p in stage_dirs if p.name.endswith("near-buckets"))
    assert "#SBATCH --array=0-13" in (buckets / "launch_script.slurm").read_text()  # one task per LSH band

    calls = log.read_text().splitlines()
    jobs = [c for c in calls if "merge_stats" not in c and "RUN_OFFSET" in c]
    assert len(jobs) == len(stage_dirs)
    assert "--dependency" not in jobs[0]
    assert all("--dependency=afterok:" in c for c in jobs[1:])  # each stage waits for the previous one

    # run task 0 of the first stage exactly as the Slurm node would
    launcher = shutil.which("launch_pickled_pipeline") or str(
        Path(sys.executable).parent / "launch_pickled_pipeline"
    )
    env = {**os.environ, "SLURM_ARRAY_TASK_ID": "0", "SLURM_NODELIST": "localhost"}
    done = subprocess.run(
        [launcher, str(stage_dirs[0] / "executor.pik")], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert (stage_dirs[0] / "completions" / "00000").is_file()
    assert (out / "_work" / "10_docs" / "00000.jsonl.gz").is_file()


def test_unknown_executor_is_a_clear_error() -> None:
    with pytest.raises(CorpusError, match="unknown executor"):
        ExecutorConfig(kind="dask")


@pytest.mark.slow
@pytest.mark.timeout(300)  # in a cramped sandbox Ray may never schedule its actors: fail, don't hang
@pytest.mark.skipif(importlib.util.find_spec("ray") is None, reason="needs the 'ray' extra")
def test_ray_executor_builds_the_same_corpus(mirror: Path, tmp_path: Path) -> None:
    import ray

    os.environ["RAY_ENABLE_UV_RUN_RUNTIME_ENV"] = (
        "0"  # workers use this environment, not a fresh `uv run` one
    )
    ray.init(num_cpus=2, include_dashboard=False, ignore_reinit_error=True, log_to_driver=False)
    try:
        ray_out, local_out = tmp_path / "ray", tmp_path / "local"
        build_cc_news(
            mirror,
            ray_out,
            "2016-09",
            "2016-09",
            tasks=2,
            executor=ExecutorConfig(kind="ray", workers=2, mem_per_cpu_gb=0.25),
        )
        build_cc_news(mirror, local_out, "2016-09", "2016-09", tasks=2)
    finally:
        ray.shutdown()
    assert sorted(d["id"] for d in read_documents(ray_out)) == sorted(
        d["id"] for d in read_documents(local_out)
    )
