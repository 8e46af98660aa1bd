"""Corpus builds on a real Ray head (``ray_head``, tests/engines.py): ``corpus build cc-news --executor ray``
connects to the running head and gives the local build's documents (ids and text) and counts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from corpus import read_documents

CORPUS = str(Path(sys.executable).parent / "corpus")
# small: 2 document tasks, exact dedup (each Ray task pays a fresh actor process, ~4 s here: near-dup stages,
# tested on Slurm, would add a minute)
SMALL = ["--from", "2016-09", "--to", "2016-10", "--tasks", "2", "--dedup.near=false", "--quiet"]
COUNTS = ("records_read", "html_pages", "kept", "skipped", "dropped", "duplicates_removed", "bytes_out")


@pytest.mark.cluster
@pytest.mark.timeout(400)
def test_ray_build_equals_local(ray_head, mirror: Path, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"} | {
        k: v for k, v in ray_head.env.items() if k != "RAY_ADDRESS"
    }
    args = ["build", "cc-news", "--source", str(mirror), *SMALL]
    ray_out, local = tmp_path / "ray", tmp_path / "local"
    r = subprocess.run([CORPUS, *args, "--output", str(ray_out), "--executor", "ray", "--workers", "2",
                        "--executor.mem_per_cpu_gb=0.25"], capture_output=True, text=True, env=env, timeout=360)  # fmt: skip
    assert r.returncode == 0, r.stderr[-3000:]
    assert subprocess.run([CORPUS, *args, "--output", str(local)], capture_output=True).returncode == 0
    docs = [{d["id"]: d["text"] for d in read_documents(out)} for out in (ray_out, local)]
    assert docs[0] == docs[1] and len(docs[0]) > 10
    got, want = (json.loads((d / "stats.json").read_text()) for d in (ray_out, local))
    assert {k: got[k] for k in COUNTS} == {k: want[k] for k in COUNTS}
    # it ran on the head started by the fixture, not on a Ray of its own
    assert any(ray_head.temp_dir.glob("session_*/logs/worker-*")), "no worker of the fixture's head ran"


def _rank_workers() -> list[int]:
    """PIDs of Ray actor processes running a datatrove task (``ray::RankWorker``)."""
    out = subprocess.run(["ps", "-eo", "pid=,args="], capture_output=True, text=True).stdout
    return [int(line.split()[0]) for line in out.splitlines() if "ray::RankWorker" in line]


@pytest.mark.cluster
@pytest.mark.slow  # two Ray builds and a local one: a few minutes here
@pytest.mark.timeout(900)
def test_ray_worker_killed_then_rerun_equals_local(ray_head, mirror: Path, tmp_path: Path) -> None:
    import signal
    import time

    env = {k: v for k, v in {**os.environ, **ray_head.env}.items() if k != "RAY_ADDRESS"}
    args = ["build", "cc-news", "--source", str(mirror), *SMALL]
    out, local = tmp_path / "ray", tmp_path / "local"
    cmd = [
        CORPUS,
        *args,
        "--output",
        str(out),
        "--executor",
        "ray",
        "--workers",
        "2",
        "--executor.mem_per_cpu_gb=0.25",
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    killed, end = None, time.monotonic() + 600
    while killed is None and proc.poll() is None and time.monotonic() < end:
        workers = _rank_workers() if (out / "_work" / "logs" / "01_exact-url-signatures").is_dir() else []
        if workers:
            killed = workers[0]
            os.kill(killed, signal.SIGKILL)  # a Ray worker dies mid-stage
        time.sleep(0.05)
    assert killed is not None, "no Ray task to kill"
    proc.communicate(timeout=600)
    if (
        proc.returncode != 0
    ):  # datatrove may resubmit the lost task itself; else the re-run finishes the build
        again = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
        assert again.returncode == 0, again.stderr[-3000:]
    assert subprocess.run([CORPUS, *args, "--output", str(local)], capture_output=True).returncode == 0
    ids = [d["id"] for d in read_documents(out)]
    assert len(ids) == len(set(ids))  # nothing duplicated
    docs = [{d["id"]: d["text"] for d in read_documents(o)} for o in (out, local)]
    assert docs[0] == docs[1]
