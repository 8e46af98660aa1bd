"""Checkpoint-and-exit on a scheduler's signal. One process: SIGUSR1 mid-run saves the current step and exits 0.
``packages/trainer/slurm/pretrain.sbatch`` on the real one-node cluster (tests/engines.py): torchrun with 2
gloo processes from Slurm's environment; Slurm's time-limit warning (USR1 to the batch script) makes every rank
save a checkpoint at the current step and exit 0; the same script submitted again resumes and ends equal, step
for step, to the same run started locally."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from trainer import load_checkpoint
from trainer_kit import tiny_overrides

SCRIPT = Path(__file__).resolve().parents[2] / "packages" / "trainer" / "slurm" / "pretrain.sbatch"
STEPS = 30


def losses(run: Path) -> dict[int, float]:
    recs = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines()]
    return {r["step"]: r["loss"] for r in recs if r["kind"] == "train"}  # a resumed run re-logs: last wins


def wait_gone(cluster, job: str, timeout: float = 400) -> str:  # noqa: ANN001
    end = time.monotonic() + timeout
    while any(line.split()[0] == job for line in cluster.jobs()):
        assert time.monotonic() < end, cluster.jobs()
        time.sleep(0.5)
    return cluster.run("scontrol", "show", "job", job).stdout


@pytest.mark.cluster
@pytest.mark.slow  # three 2-process runs: a few minutes on a loaded 2-core machine
def test_sbatch_pretraining_checkpoints_on_usr1_and_resumes_exactly(
    slurm_cluster, reuters_shards: tuple[Path, Path], tmp_path: Path
) -> None:
    shards, tok = reuters_shards
    extra = {"optim.max_steps": STEPS, "run.eval_every": STEPS, "run.save_every": 1000}
    env = {**os.environ, "OMP_NUM_THREADS": "1", "NPROC_PER_NODE": "2", "VENV": sys.prefix}
    local = tmp_path / "local"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node=2", "-m", "trainer",
           "--preset", "tiny", *tiny_overrides(shards, tok, local, **extra)]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]

    run = tmp_path / "slurm"
    sbatch = ["sbatch", "--parsable", "-c", "2", "--mem-per-cpu=1G", f"--output={tmp_path}/job-%j.out",
              str(SCRIPT), "--preset", "tiny", *tiny_overrides(shards, tok, run, **extra)]  # fmt: skip
    job = subprocess.run(sbatch, capture_output=True, text=True, env=env, check=True).stdout.strip()
    end = time.monotonic() + 400
    while not (run / "metrics.jsonl").is_file() or max(losses(run), default=0) < 3:
        assert time.monotonic() < end and any(j.startswith(job) for j in slurm_cluster.jobs()), job
        time.sleep(0.2)
    slurm_cluster.run("scancel", "--batch", "--signal=USR1", job)  # what --signal=B:USR1@120 sends
    info = wait_gone(slurm_cluster, job)
    assert "JobState=COMPLETED" in info and "ExitCode=0:0" in info, info
    log = (tmp_path / f"job-{job}.out").read_text()
    stopped = re.search(r"stopped by SIGTERM at step (\d+)", log)
    assert stopped, log[-3000:]
    step = int(stopped.group(1))
    assert 3 <= step < STEPS and load_checkpoint(run).meta["step"] == step

    job2 = subprocess.run(sbatch, capture_output=True, text=True, env=env, check=True).stdout.strip()
    info = wait_gone(slurm_cluster, job2)
    assert "ExitCode=0:0" in info, (tmp_path / f"job-{job2}.out").read_text()[-3000:]
    assert losses(run) == losses(local)  # step for step, bit-exact
    a, b = load_checkpoint(local), load_checkpoint(run)
    assert b.meta["step"] == STEPS and b.meta["world_size"] == 2
    for k, v in a.state["model"].items():
        assert torch.equal(v, b.state["model"][k]), k


def test_usr1_saves_the_current_step_and_exits_cleanly(
    reuters_shards: tuple[Path, Path], tmp_path: Path
) -> None:
    shards, tok = reuters_shards
    run = tmp_path / "run"
    cmd = [sys.executable, "-m", "trainer", "--preset", "tiny",
           *tiny_overrides(shards, tok, run, **{"optim.max_steps": 500, "run.save_every": 1000})]  # fmt: skip
    proc = subprocess.Popen(
        cmd, stderr=subprocess.PIPE, text=True, env={**os.environ, "OMP_NUM_THREADS": "1"}
    )
    end = time.monotonic() + 300
    while not (run / "metrics.jsonl").is_file() or max(losses(run), default=0) < 2:
        assert time.monotonic() < end and proc.poll() is None
        time.sleep(0.1)
    proc.send_signal(signal.SIGUSR1)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err[-2000:]
    stopped = re.search(r"stopped by SIGUSR1 at step (\d+): checkpoint .*; continue with --resume", err)
    assert stopped, err[-2000:]
    step = int(stopped.group(1))
    assert 2 <= step < 500 and load_checkpoint(run).meta["step"] == step
