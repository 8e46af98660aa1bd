"""``bench glue --executor slurm|ray``: each sweep cell (task x hyper-parameters x seed) is one cluster job.

The submitter lists the cells of the run (the tasks with data, the recipe's batch sizes x lrs x seeds) and runs
them as the tasks of one datatrove stage on ``corpus.executors`` (a Slurm array element or a Ray task each);
a job runs ``run_glue(..., only=cell)``, which trains and stores that one cell as a local run would (a cell
already finished is found and skipped). Once every job is done, the submitter runs ``run_glue`` itself: every
cell is finished, so it only selects the hyper-parameters and writes the result files, equal to a local run of
the same cells. Re-running skips the finished cells twice over: datatrove's completion markers (no job is
submitted for them) and the cell files.

Usage: ``run_glue_on(ExecutorConfig(kind="slurm"), ckpt, "rte,sst2", glue_dir, out, quick=True)``
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

from benchmarks.results import BenchResult


class GlueCell(PipelineStep):
    """One cluster task: the sweep cell ``cells[rank]`` of ``run_glue(**kwargs)``."""

    name = "glue cell"
    type = "🎯 - FINETUNE"

    def __init__(self, kwargs: dict[str, Any], cells: list[tuple[str, int, float, int]]) -> None:
        super().__init__()
        self.kwargs, self.cells = kwargs, cells

    def run(self, data: Any = None, rank: int = 0, world_size: int = 1) -> Iterator[Any]:
        from transformers.utils import logging as hf_logging

        from benchmarks.tasks.glue import run_glue

        hf_logging.set_verbosity_error()
        run_glue(**self.kwargs, only=tuple(self.cells[rank]), log=lambda _msg: None)
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


def run_glue_on(
    executor: ExecutorConfig,
    checkpoint: str | Path,
    tasks: str,
    data_dir: str | Path,
    out: str | Path,
    *,
    quick: bool = False,
    recipe: Any = None,
    init_from: str | Path | None = None,
    save_models: bool = False,
    tensorboard: str | Path | None = None,
    progress: bool = True,
) -> list[BenchResult]:
    """Run the cells of ``bench glue`` as cluster jobs, then write the results locally; return them."""
    from benchmarks.sweep import glue_recipe
    from benchmarks.sweep import quick as quick_variant
    from benchmarks.tasks.glue import run_glue
    from benchmarks.tasks.glue_data import MissingData, load_glue, parse_tasks

    kwargs = {"checkpoint": _absolute(checkpoint), "tasks": tasks, "data_dir": _absolute(data_dir),
              "out": _absolute(out), "quick": quick, "recipe": recipe or glue_recipe(),
              "init_from": _absolute(init_from), "save_models": save_models,
              "tensorboard": _absolute(tensorboard)}  # fmt: skip
    names = []
    for task in parse_tasks(tasks):
        try:
            load_glue(task, kwargs["data_dir"])
            names.append(task)
        except MissingData:
            if tasks.strip() != "all":
                raise
    effective = quick_variant(kwargs["recipe"]) if quick else kwargs["recipe"]
    cells = glue_cells(names, effective)
    # one logging folder per cell list: the same run re-run finds its completion markers
    logs = Path(kwargs["out"]) / "_cluster" / json_sha256({**kwargs, "recipe": dataclasses.asdict(effective),
                                                           "cells": cells})[:12]  # fmt: skip
    stage = Stage(name="glue-cells", tasks=len(cells), steps=[GlueCell(kwargs, cells)])
    run_stages([stage], dataclasses.replace(executor, wait=True), logs, progress=progress)
    return run_glue(**kwargs)  # every cell is finished: select and write the results
