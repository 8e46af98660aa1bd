"""Corpus builds on a real one-node Slurm cluster (``slurm_cluster``, tests/engines.py): the same documents as
the local executor, ``--no-wait`` then ``scancel`` mid-chain then a re-run that finishes it, a failing stage that
cancels the rest with one line naming the stage and its log, and sbatch's refusals as one ``error:`` line."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from corpus import ExecutorConfig, read_documents
from corpus.errors import CorpusError
from corpus.slurm import slurm_mem

CORPUS = str(Path(sys.executable).parent / "corpus")
# small and fast, but every kind of stage: 2 document tasks, exact dedup, MinHash with 2 bucket tasks
SMALL = ["--from", "2016-09", "--to", "2016-10", "--tasks", "2", "--dedup.minhash_buckets=2", "--quiet"]
COUNTS = ("records_read", "html_pages", "kept", "skipped", "dropped", "duplicates_removed", "bytes_out")


def corpus(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([CORPUS, *args], capture_output=True, text=True, timeout=timeout)


def docs(out: Path) -> dict[str, str]:
    return {d["id"]: d["text"] for d in read_documents(out)}


def test_memory_sizes_sbatch_accepts() -> None:
    assert [slurm_mem(x) for x in (1, 1.0, 2, 0.5, 1.5)] == ["1G", "1G", "2G", "512M", "1536M"]
    with pytest.raises(CorpusError, match="positive"):
        ExecutorConfig(kind="slurm", mem_per_cpu_gb=0)


def test_unknown_executor_is_a_clear_error() -> None:
    with pytest.raises(CorpusError, match="unknown executor"):
        ExecutorConfig(kind="dask")


@pytest.mark.cluster
def test_slurm_build_cancelled_mid_chain_then_rerun_equals_local(
    slurm_cluster, mirror: Path, tmp_path: Path
) -> None:
    """--no-wait submits and returns; scancel kills the chain mid-stage; the same command re-run (waiting by
    default) resubmits only what is unfinished and ends with the local build's documents and stats."""
    out, local = tmp_path / "slurm", tmp_path / "local"
    args = ["build", "cc-news", "--source", str(mirror), *SMALL]
    sub = corpus(
        *args, "--output", str(out), "--executor", "slurm", "--executor.mem_per_cpu_gb=1", "--no-wait"
    )
    assert sub.returncode == 0, sub.stderr
    line = sub.stdout.strip()
    assert "\n" not in line and "squeue" in line and "re-run the same command" in line
    logs = out / "_work" / "logs"
    assert "#SBATCH --mem-per-cpu=1G" in (logs / "00_docs" / "launch_script.slurm").read_text()

    # cancel the whole chain once the first stage is done and a later one is under way
    deadline = time.monotonic() + 300
    while not (logs / "01_exact-url-signatures" / "completions").is_dir():
        assert time.monotonic() < deadline, slurm_cluster.jobs()
        time.sleep(0.2)
    jobs = json.loads((logs / "slurm_jobs.json").read_text())
    queued = slurm_cluster.jobs()
    twice = corpus(
        *args, "--output", str(out), "--executor", "slurm", "--no-wait"
    )  # while the jobs still run
    assert twice.returncode == 0 and "previous submission" in twice.stderr
    assert json.loads((logs / "slurm_jobs.json").read_text()) == jobs  # attached, nothing submitted twice
    base = lambda lines: {j.split()[0].split("_")[0] for j in lines}  # noqa: E731 - array job ids
    assert base(slurm_cluster.jobs()) <= base(queued)
    slurm_cluster.run("scancel", *[str(j) for j in jobs.values() if j != -1])
    while slurm_cluster.jobs():
        time.sleep(0.2)
    assert not (out / "stats.json").exists()
    finished = sorted(p.parent.parent.name for p in logs.glob("*/completions/*"))
    assert finished and "10_write-shards" not in finished

    again = corpus(*args, "--output", str(out), "--executor", "slurm", "--executor.mem_per_cpu_gb=1")
    assert again.returncode == 0, again.stderr[-3000:]
    assert corpus(*args, "--output", str(local)).returncode == 0

    assert docs(out) == docs(local) and len(docs(out)) > 10  # ids and text
    got, want = (json.loads((d / "stats.json").read_text()) for d in (out, local))
    assert {k: got[k] for k in COUNTS} == {k: want[k] for k in COUNTS}
    assert json.loads(again.stdout)["kept"] == want["kept"]  # the same summary as a local build
    assert not slurm_cluster.jobs()


@pytest.mark.cluster
def test_failing_stage_cancels_the_rest_and_names_its_log(slurm_cluster, tmp_path: Path) -> None:
    """Stage 2 of 3 reads a corrupt gzip: its job fails, stage 3 never runs, one error names stage 2's log."""
    from corpus.executors import run_stages
    from corpus.stages import Stage
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers import JsonlWriter

    good, bad = tmp_path / "good", tmp_path / "bad"
    good.mkdir()
    bad.mkdir()
    with gzip.open(good / "a.jsonl.gz", "wt") as f:
        f.write(json.dumps({"id": "a", "text": "hello"}) + "\n")
    (bad / "b.jsonl.gz").write_bytes(b"\x1f\x8b\x08\x00 this is not gzip data")
    stages = [
        Stage(name="copy", steps=[JsonlReader(str(good)), JsonlWriter(str(tmp_path / "o1"))]),
        Stage(name="broken", steps=[JsonlReader(str(bad)), JsonlWriter(str(tmp_path / "o2"))]),
        Stage(name="after", steps=[JsonlReader(str(good)), JsonlWriter(str(tmp_path / "o3"))]),
    ]
    cfg = ExecutorConfig(kind="slurm", mem_per_cpu_gb=0.5)
    with pytest.raises(CorpusError) as err:
        run_stages(stages, cfg, tmp_path / "logs", progress=False)
    msg = str(err.value)
    assert msg.startswith("stage broken failed on Slurm") and "\n" not in msg
    log = Path(msg.rsplit("log: ", 1)[1])
    assert log.is_file() and "01_broken" in str(log) and "Traceback" in log.read_text(errors="replace")
    assert (tmp_path / "logs" / "00_copy" / "completions" / "00000").is_file()
    assert not (tmp_path / "logs" / "02_after" / "completions").exists()
    assert not slurm_cluster.jobs()  # the stage after the failed one was cancelled, not left pending


@pytest.mark.cluster
def test_sbatch_refusal_is_one_error_line(slurm_cluster, mirror: Path, tmp_path: Path) -> None:
    r = corpus("build", "cc-news", "--source", str(mirror), *SMALL, "--output", str(tmp_path / "o"),
               "--executor", "slurm", "--executor.partition=nosuchpartition")  # fmt: skip
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("error: sbatch refused corpus-docs: ")
    assert "partition" in r.stderr.lower() and "Traceback" not in r.stderr


def test_slurm_without_its_tools_is_one_error_line(mirror: Path, tmp_path: Path) -> None:
    env = {**os.environ, "PATH": str(Path(sys.executable).parent)}  # no sbatch on PATH
    r = subprocess.run([CORPUS, "build", "cc-news", "--source", str(mirror), *SMALL, "--output",
                        str(tmp_path / "o"), "--executor", "slurm"], capture_output=True, text=True, env=env)  # fmt: skip
    assert (
        r.returncode == 2
        and r.stderr == "error: sbatch not found: --executor slurm needs Slurm's client tools on PATH\n"
    )
