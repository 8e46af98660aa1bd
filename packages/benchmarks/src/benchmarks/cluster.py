"""``bench glue|squad|race --executor slurm|ray``: each sweep cell (task x hyper-parameters x seed) is one job.

One mechanism for the three commands: the submitter lists the cells of the run (for GLUE the tasks with data x
the recipe's batch sizes x lrs x seeds; for SQuAD and RACE the recipe's cells) and runs them as the tasks of one
datatrove stage on ``corpus.executors`` (a Slurm array element or a Ray task each); a job runs the command's
local entry point with ``only=cell`` (``run_glue``, ``run_squad``, ``run_race``), which trains and stores that
one cell as a local run would (a cell already finished is found and skipped). Once every job is done, the
submitter runs the same entry point itself: every cell is finished, so it only selects the hyper-parameters and
writes the result file, equal to a local run of the same cells. Re-running skips the finished cells twice over:
datatrove's completion markers (no job is submitted for them) and the cell files.

Usage: ``run_bench_on(ExecutorConfig(kind="slurm"), "race", {"checkpoint": ckpt, "data": d, "out": o})``
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from common import json_sha256
from corpus.executors import ExecutorConfig, run_stages
from corpus.stages import Stage
from datatrove.pipeline.base import PipelineStep

from benchmarks.sweep import runner

# keyword arguments naming files or folders: made absolute so a job opens them whatever its working folder
PATHS = ("checkpoint", "data_dir", "data", "out", "init_from", "tensorboard", "train_file", "dev_file")


class BenchCell(PipelineStep):
    """One cluster task: the sweep cell ``cells[rank]`` of ``bench {command}`` run with ``kwargs``."""

    name = "bench cell"
    type = "🎯 - FINETUNE"

    def __init__(self, command: str, kwargs: dict[str, Any], cells: list[tuple]) -> None:
        super().__init__()
        self.command, self.kwargs, self.cells = command, kwargs, cells

    def run(self, data: Any = None, rank: int = 0, world_size: int = 1) -> Iterator[Any]:
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        runner(self.command)(**self.kwargs, only=tuple(self.cells[rank]))
        self.stat_update("cells")
        yield from ()


def _absolute(path: str | Path | None) -> str | None:
    """A path the cluster's jobs can open whatever their working folder (``hub`` and None unchanged)."""
    if path is None or str(path) == "hub":
        return None if path is None else str(path)
    return str(Path(path).absolute())


def glue_cells(names: list[str], recipe: Any) -> list[tuple[str, int, float, int]]:
    """Every (task, batch size, lr, seed) cell of the run, in the order a local run trains them."""
    from benchmarks.sweep import sweep_cells

    return [(task, b, lr, s) for task in names for b, lr, s in sweep_cells(recipe)]


def _glue_tasks(kwargs: dict[str, Any]) -> list[str]:
    """The GLUE tasks of the run that have data (``all`` skips the missing ones, a named one must exist)."""
    from benchmarks.tasks.glue_data import MissingData, load_glue, parse_tasks

    names = []
    for task in parse_tasks(kwargs["tasks"]):
        try:
            load_glue(task, kwargs["data_dir"])
            names.append(task)
        except MissingData:
            if kwargs["tasks"].strip() != "all":
                raise
    return names


def _check_inputs(command: str, kwargs: dict[str, Any], recipe: Any) -> None:
    """Refuse bad data before anything is submitted (the local entry point's own checks)."""
    if command == "squad":
        from benchmarks.tasks.squad import check_squad

        check_squad(kwargs["version"], kwargs["train_file"], kwargs["dev_file"], recipe, kwargs["quick"])
    elif command == "race":
        from benchmarks.tasks.race import load_race

        load_race(kwargs["data"])


def bench_cells(command: str, kwargs: dict[str, Any]) -> list[tuple]:
    """Every cell of ``bench {command}`` run with ``kwargs``, in the order a local run trains them: ``(task,
    batch size, lr, seed)`` for GLUE, ``(batch size, lr, seed)`` for SQuAD and RACE (one task)."""
    from benchmarks.sweep import quick, sweep_cells

    recipe = quick(kwargs["recipe"]) if kwargs.get("quick") else kwargs["recipe"]
    if command == "glue":
        return glue_cells(_glue_tasks(kwargs), recipe)
    _check_inputs(command, kwargs, kwargs["recipe"])
    return [tuple(c) for c in sweep_cells(recipe)]


def run_bench_on(
    executor: ExecutorConfig, command: str, kwargs: dict[str, Any], *, progress: bool = True
) -> Any:
    """Run the cells of ``bench {command}`` (``kwargs``: its local entry point's, ``recipe`` included) as
    cluster jobs, then write the results locally; return what the local entry point returns."""
    kwargs = {k: _absolute(v) if k in PATHS else v for k, v in kwargs.items()}
    cells = bench_cells(command, kwargs)
    # one logging folder per cell list: the same run re-run finds its completion markers
    key = {**kwargs, "recipe": dataclasses.asdict(kwargs["recipe"]), "cells": cells, "command": command}
    logs = Path(kwargs["out"]) / "_cluster" / json_sha256(key)[:12]
    stage = Stage(name=f"{command}-cells", tasks=len(cells), steps=[BenchCell(command, kwargs, cells)])
    run_stages([stage], dataclasses.replace(executor, wait=True), logs, progress=progress)
    return runner(command)(**kwargs)  # every cell is finished: select and write the results


def run_glue_on(
    executor: ExecutorConfig, checkpoint: str | Path, tasks: str, data_dir: str | Path, out: str | Path,
    **kwargs: Any,
) -> Any:  # fmt: skip
    """``bench glue`` on the cluster: ``run_bench_on(executor, "glue", ...)`` with ``run_glue``'s arguments."""
    from benchmarks.sweep import glue_recipe

    kwargs = {"checkpoint": checkpoint, "tasks": tasks, "data_dir": data_dir, "out": out, "quick": False,
              "recipe": glue_recipe(), **kwargs}  # fmt: skip
    progress = kwargs.pop("progress", True)
    return run_bench_on(
        executor, "glue", {**kwargs, "recipe": kwargs["recipe"] or glue_recipe()}, progress=progress
    )
