"""``tok encode --executor slurm|ray --tasks N``: the encode job's units spread over the tasks of a cluster.

Task ``k`` of ``N`` (a datatrove task on ``corpus.executors``: a Slurm array element or a Ray task) encodes the
units ``index % N == k`` that have no marker yet, writing their shards and markers exactly as a local run does
(units are cut from the input stream the same way whatever the task count; each task reads the stream and
skips the other tasks' units without tokenizing them). Once every task is done, the submitting process writes
the manifest from the markers through ``run_encode``, which finds every unit done: the result equals
``--workers 1`` shard for shard. Resumable twice over: a re-run resubmits only tasks without a completion
marker, and inside a task units with a marker are skipped.

Usage: ``run_encode_on(EncodeConfig(...), ExecutorConfig(kind="slurm"), tasks=8)``
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from corpus.executors import ExecutorConfig, run_stages
from corpus.stages import Stage
from datatrove.pipeline.base import PipelineStep

from tokenizer.encode.job import PROGRESS, EncodeConfig, EncodeError, open_job, run_encode


class EncodeUnits(PipelineStep):
    """One cluster task of ``tok encode``: its share of the units (``index % world_size == rank``)."""

    name = "encode units"
    type = "🔢 - TOKENIZE"

    def __init__(self, cfg: EncodeConfig) -> None:
        super().__init__()
        self.cfg = cfg

    def run(self, data: Any = None, rank: int = 0, world_size: int = 1) -> Iterator[Any]:
        from tokenizer.bpe import Tokenizer
        from tokenizer.encode.job import encode_missing_units

        tok = Tokenizer.from_dir(self.cfg.tokenizer)
        self.stat_update("units_encoded", value=encode_missing_units(self.cfg, tok, rank, world_size))
        yield from ()


def run_encode_on(
    cfg: EncodeConfig, executor: ExecutorConfig, *, tasks: int, progress: bool = True
) -> dict[str, Any]:
    """Encode on ``executor`` (slurm/ray) with ``tasks`` tasks, then write the manifest; return its stats."""
    if tasks < 1:
        raise EncodeError(f"--tasks must be >= 1, got {tasks}")
    absolute = tuple(p if "://" in p else str(Path(p).absolute()) for p in cfg.inputs)  # tasks' cwd differs
    cfg = dataclasses.replace(
        cfg,
        tokenizer=str(Path(cfg.tokenizer).absolute()),
        inputs=absolute,
        output=str(Path(cfg.output).absolute()),
        workers=1,
    )
    open_job(cfg)  # a wrong tokenizer or another job's folder fails here, before anything is submitted
    stage = Stage(name="encode", tasks=tasks, steps=[EncodeUnits(cfg)])
    executor = dataclasses.replace(executor, wait=True, workers=max(executor.workers, 1))
    run_stages([stage], executor, Path(cfg.output) / PROGRESS / "logs", progress=progress)
    return run_encode(cfg, progress=False)  # every unit has its marker now: this only writes the manifest
