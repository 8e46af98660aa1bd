"""Corpus stages on Slurm: submit the chain, follow it stage by stage, turn scheduler trouble into one line.

``submit_chain`` submits every unfinished stage as one array job (one element per unfinished task) chained
with ``afterok``; a re-run while the previous submission's jobs are still queued attaches to them instead of
submitting twice (``logs/slurm_jobs.json`` holds their ids). ``wait_chain`` polls the completion markers and
``squeue``; a stage whose job left the queue with tasks unfinished cancels the rest of the chain and raises one
``CorpusError`` naming the stage and the failed task's log. Nothing finished is lost: re-running resubmits only
the unfinished tasks.

Usage: ``exs = submit_chain(stages, cfg, logs)``; ``wait_chain(exs, progress=True)``
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from datatrove.executor import SlurmPipelineExecutor

from corpus.errors import CorpusError

JOBS_FILE = "slurm_jobs.json"
POLL_S = 1.0


class ChainExecutor(SlurmPipelineExecutor):
    """datatrove's Slurm executor without its per-stage ``merge_stats`` job: ``stats.json`` is assembled from
    the per-task stats by ``finish_stats``, so that job would only cost a scheduling slot per stage."""

    def launch_merge_stats(self) -> None:
        return None


def slurm_mem(gb: float) -> str:
    """A memory size sbatch accepts: ``1`` -> ``1G``, ``0.5`` -> ``512M`` (sbatch refuses ``1.0G``)."""
    mb = round(gb * 1024)
    if mb < 1:
        raise CorpusError(f"--executor.mem_per_cpu_gb must be positive, got {gb}")
    return f"{mb // 1024}G" if mb % 1024 == 0 else f"{mb}M"


def _squeue(job_id: str) -> list[str]:
    """``STATE REASON`` lines of a job's array elements still in the queue ([] once it has left)."""
    try:
        out = subprocess.run(
            ["squeue", "-h", "-j", str(job_id), "-o", "%T %r"], capture_output=True, text=True, timeout=60
        )
    except FileNotFoundError:
        raise CorpusError("squeue not found: --executor slurm needs Slurm's client tools on PATH") from None
    if out.returncode != 0:
        if "Invalid job id" in out.stderr:
            return []
        raise CorpusError(f"squeue failed: {out.stderr.strip().splitlines()[-1:] or out.returncode}")
    return [line for line in out.stdout.splitlines() if line.strip()]


def job_active(job_id: Any) -> bool:
    """Whether the job can still make progress (queued or running; not pending on a dependency that failed)."""
    if job_id in (None, -1):
        return False
    lines = _squeue(str(job_id))
    return any("DependencyNeverSatisfied" not in line for line in lines)


def _cancel(job_ids: list[Any]) -> None:
    ids = [str(j) for j in job_ids if j not in (None, -1)]
    if ids:
        subprocess.run(["scancel", *ids], capture_output=True, timeout=60)


def submit_chain(executors: list[Any], logs: Path) -> bool:
    """Submit the chain (the last executor launches its ``depends``); return False when it attached to the
    previous submission's jobs, which are still queued, instead of submitting."""
    state = logs / JOBS_FILE
    previous = json.loads(state.read_text()) if state.is_file() else {}
    if previous and any(job_active(j) for j in previous.values()):
        for ex in executors:
            ex.job_id = previous.get(ex.job_name, -1)
        print(f"note: following the jobs of the previous submission, still queued ({state})", file=sys.stderr)
        return False
    logs.mkdir(parents=True, exist_ok=True)
    log = logs / "submit.log"
    saved = os.dup(2)
    try:
        with open(log, "a") as fh:
            os.dup2(fh.fileno(), 2)  # sbatch's own messages and datatrove's launch logging go to the log
            executors[-1].run()
    except FileNotFoundError:
        raise CorpusError("sbatch not found: --executor slurm needs Slurm's client tools on PATH") from None
    except subprocess.CalledProcessError:
        stage = next((ex.job_name for ex in executors if ex.job_id is None), executors[-1].job_name)
        raise CorpusError(f"sbatch refused {stage}: {_last_error(log)} (see {log})") from None
    finally:
        os.dup2(saved, 2)
        os.close(saved)
    from common import write_json_atomic

    write_json_atomic(state, {ex.job_name: ex.job_id for ex in executors})
    return True


def _last_error(log: Path) -> str:
    lines = [ln.strip() for ln in log.read_text(errors="replace").splitlines() if "error" in ln.lower()]
    return lines[-1].removeprefix("sbatch: error: ") if lines else "no message"


def wait_chain(executors: list[Any], *, progress: bool = True, poll_s: float = POLL_S) -> None:
    """Follow the stages in order until every task has its completion marker; a failed stage cancels the
    stages after it and raises ``CorpusError`` naming the stage and a log of a failed task."""
    from tqdm import tqdm

    bar = tqdm(total=len(executors), desc="slurm chain", unit="stage", disable=not progress)
    try:
        for i, ex in enumerate(executors):
            while left := ex.get_incomplete_ranks(skip_completed=True):
                bar.set_postfix_str(f"{ex.job_name}: {ex.world_size - len(left)}/{ex.world_size} tasks")
                if not job_active(ex.job_id):
                    left = ex.get_incomplete_ranks(skip_completed=True)  # it may have just finished
                    if not left:
                        break
                    _cancel([later.job_id for later in executors[i + 1 :]])
                    raise CorpusError(
                        f"stage {ex.job_name.removeprefix('corpus-')} failed on Slurm "
                        f"({len(left)} of {ex.world_size} task(s) unfinished); log: {_task_log(ex, left[0])}"
                    )
                time.sleep(poll_s)
            bar.update(1)
    finally:
        bar.close()


def _task_log(ex: Any, rank: int) -> str:
    """The Slurm output file of ``rank``'s array element (its traceback), else the stage's log folder."""
    folder = Path(ex.slurm_logs_folder)
    with contextlib.suppress(OSError, ValueError):
        ranks = json.loads(ex.logging_dir.open("ranks_to_run.json").read())
        path = folder / f"{ex.job_id}_{ranks.index(rank)}.out"
        if path.is_file():
            return str(path)
    task = Path(ex.logging_dir.resolve_paths(f"logs/task_{rank:05d}.log"))
    return str(task if task.is_file() else folder)
