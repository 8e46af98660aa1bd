"""Run a list of stages on datatrove's executors: local (default), Slurm or Ray.

Completion markers (``logs/<stage>/completions/<rank>``) make every run resumable: re-running the same build
skips finished tasks and redoes only the unfinished ones, whose outputs are overwritten (intermediate files) or
atomically replaced (shards), so nothing is lost or duplicated. Local and Ray run stages one after another;
Slurm submits them all at once chained with ``afterok`` dependencies and, unless ``wait=False``, follows the
chain until it is done (``corpus.slurm``).

Usage: ``run_stages(stages, ExecutorConfig(kind="local", workers=4), logs_dir)``
"""

from __future__ import annotations

import contextlib
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from corpus.errors import CorpusError
from corpus.stages import Stage, TaskCpuClock

EXECUTORS = ("local", "slurm", "ray")
# Ray reads this when first imported (datatrove.executor imports it): under `uv run`, Ray would otherwise start
# its workers through `uv run` in a fresh environment that lacks the optional ray extra.
os.environ.setdefault("RAY_ENABLE_UV_RUN_RUNTIME_ENV", "0")


@dataclass(frozen=True, kw_only=True)
class ExecutorConfig:
    """Which datatrove executor runs the stages and with what resources."""

    kind: str = "local"
    workers: int = 1  # local: concurrent processes; ray: concurrent tasks
    partition: str = "cpu"  # slurm
    time: str = "24:00:00"  # slurm wall time per task
    cpus_per_task: int = 1  # slurm/ray
    gpus_per_task: int = 0  # slurm/ray (``bench glue`` cells on GPUs)
    mem_per_cpu_gb: float = 2  # slurm/ray (Ray reserves this much per task: keep it below free memory)
    venv_path: str | None = None  # slurm: ``source`` this before running
    sbatch_args: dict[str, str] = field(default_factory=dict)
    wait: bool = True  # slurm: follow the submitted chain to its end (False: return after submitting)

    def __post_init__(self) -> None:
        if self.kind not in EXECUTORS:
            raise CorpusError(f"unknown executor {self.kind!r}: choose one of {', '.join(EXECUTORS)}")
        if self.workers < 1:
            raise CorpusError(f"--workers must be >= 1, got {self.workers}")
        if not self.mem_per_cpu_gb > 0:
            raise CorpusError(f"--executor.mem_per_cpu_gb must be positive, got {self.mem_per_cpu_gb}")


def make_executor(stage: Stage, cfg: ExecutorConfig, logging_dir: Path, depends: Any = None) -> Any:
    """Build the datatrove executor for one stage (not started); a ``TaskCpuClock`` closes every pipeline."""
    stage = Stage(name=stage.name, tasks=stage.tasks, steps=[*stage.steps, TaskCpuClock()])
    if cfg.kind == "local":
        from datatrove.executor import LocalPipelineExecutor

        return LocalPipelineExecutor(
            stage.steps,
            tasks=stage.tasks,
            workers=min(cfg.workers, stage.tasks),
            logging_dir=str(logging_dir),
        )
    if cfg.kind == "slurm":
        from corpus.slurm import ChainExecutor, slurm_mem

        return ChainExecutor(
            stage.steps,
            tasks=stage.tasks,
            time=cfg.time,
            partition=cfg.partition,
            cpus_per_task=cfg.cpus_per_task,
            gpus_per_task=cfg.gpus_per_task,
            mem_per_cpu_gb=cfg.mem_per_cpu_gb,
            job_name=f"corpus-{stage.name}",
            logging_dir=str(logging_dir),
            venv_path=cfg.venv_path or _this_venv(),
            sbatch_args={"mem-per-cpu": slurm_mem(cfg.mem_per_cpu_gb), **cfg.sbatch_args},
            depends=depends,
        )
    try:
        from datatrove.executor.ray import RayPipelineExecutor
    except ImportError:  # pragma: no cover - datatrove always ships it
        raise CorpusError("the ray executor needs datatrove's ray support") from None
    return RayPipelineExecutor(
        stage.steps,
        tasks=stage.tasks,
        workers=cfg.workers,
        logging_dir=str(logging_dir),
        cpus_per_task=cfg.cpus_per_task,
        gpus_per_task=cfg.gpus_per_task,
        mem_per_cpu_gb=cfg.mem_per_cpu_gb,
    )


def _this_venv() -> str | None:
    """This environment's activate script: jobs find ``launch_pickled_pipeline`` (and this datatrove) there."""
    activate = Path(sys.prefix) / "bin" / "activate"
    return str(activate) if sys.prefix != sys.base_prefix and activate.is_file() else None


def stage_log_dir(logs: Path, index: int, stage: Stage) -> Path:
    """``logs/NN_<stage name>``: one datatrove logging folder per stage."""
    return logs / f"{index:02d}_{stage.name}"


def run_stages(
    stages: list[Stage], cfg: ExecutorConfig, logs: str | Path, *, progress: bool = True
) -> list[Any]:
    """Run (local, ray) or submit (slurm; then wait unless ``cfg.wait`` is False) every stage in order; return
    the executors."""
    logs = Path(logs)
    if cfg.kind == "slurm":
        from corpus.slurm import submit_chain, wait_chain

        prev = None
        executors = []
        for i, stage in enumerate(stages):
            prev = make_executor(stage, cfg, stage_log_dir(logs, i, stage), depends=prev)
            executors.append(prev)
        submit_chain(executors, logs)  # the last stage launches the whole chain through ``depends``
        if cfg.wait:
            wait_chain(executors, progress=progress)
        return executors
    if cfg.kind == "ray":
        _require_ray()
    from tqdm import tqdm

    executors = []
    tty = os.fdopen(os.dup(2), "w")  # the progress bar keeps the real stderr while tasks' logs are diverted
    bar = tqdm(stages, desc="corpus build", unit="stage", disable=not progress, file=tty)
    try:
        for i, stage in enumerate(bar):
            bar.set_postfix_str(stage.name)
            executors.append(_run_one(stage, cfg, stage_log_dir(logs, i, stage)))
    finally:
        bar.close()
        tty.close()
    return executors


def _run_one(stage: Stage, cfg: ExecutorConfig, log_dir: Path) -> Any:
    """Run one stage; its datatrove task logs (every task logs at INFO to stderr, pool workers included) go to
    ``log_dir/console.log`` by pointing file descriptor 2 there for the duration."""
    ex = make_executor(stage, cfg, log_dir)
    try:
        log_dir.mkdir(parents=True, exist_ok=True)
        console = open(log_dir / "console.log", "a")  # noqa: SIM115 - closed below, whatever happens
    except OSError as e:
        raise _stage_error(stage, log_dir, e) from None
    saved = os.dup(2)
    try:
        with contextlib.redirect_stderr(console):
            os.dup2(console.fileno(), 2)
            _log_to(console)
            ex.run()
    except CorpusError:
        raise
    except Exception as e:  # a task crashed: one line for the user, the traceback is in the task log
        raise _stage_error(stage, log_dir, e) from e
    finally:  # a full disk can fail the log's own flush: the real stderr comes back first, regardless
        os.dup2(saved, 2)
        os.close(saved)
        _log_to(sys.__stderr__, level="ERROR")
        with contextlib.suppress(OSError):
            console.close()
    missing = ex.get_incomplete_ranks(skip_completed=True)
    if missing:
        raise CorpusError(f"stage {stage.name}: {len(missing)} task(s) failed; see {log_dir}/logs")
    return ex


def _stage_error(stage: Stage, log_dir: Path, e: BaseException) -> CorpusError:
    """One line for a failed stage; a full disk names the file (or the build folder) it was writing."""
    from common import DiskFull, disk_full_error, is_disk_full

    if is_disk_full(e):
        named = next((x for x in _chain(e) if isinstance(x, DiskFull)), None)
        if named is not None:
            return CorpusError(f"stage {stage.name}: {named}")
        path = next((x.filename for x in _chain(e) if getattr(x, "filename", None)), None)
        where = path or f"under {log_dir.parent.parent.parent}"  # logs live at OUTPUT/_work/logs/NN_stage
        return CorpusError(f"stage {stage.name}: {disk_full_error(where)}")
    return CorpusError(f"stage {stage.name} failed: {type(e).__name__}: {e} (see {log_dir}/logs)")


def _chain(e: BaseException | None) -> list[BaseException]:
    """``e`` and the exceptions it was raised from or during."""
    out: list[BaseException] = []
    while e is not None and e not in out:
        out.append(e)
        e = e.__cause__ or e.__context__
    return out


def _log_to(sink: Any, level: str = "INFO") -> None:
    """Point datatrove's loguru logger at ``sink`` (its tasks re-point it to their own log files)."""
    from loguru import logger

    logger.remove()
    logger.add(sink, level=level)


def _require_ray() -> None:
    """Import Ray and connect: to the caller's ``ray.init``, else to a running cluster (``RAY_ADDRESS``, or a
    head started on this machine with ``ray start --head``), else to a local instance started here."""
    try:
        import ray
    except ImportError:
        raise CorpusError("--executor ray needs the extra: uv sync --extra ray") from None
    if ray.is_initialized():
        return
    try:
        ray.init(address="auto", log_to_driver=False)
    except ConnectionError:  # no running cluster: start one for this command
        ray.init(include_dashboard=False, log_to_driver=False)
