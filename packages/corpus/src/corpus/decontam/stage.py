"""Decontamination as corpus stages over existing shards, and ``decontaminate`` that runs them end to end.

Layout under ``output``: the decontaminated shards (same names as the input shards, corpus format),
``decontamination.json`` / ``.md``, and ``.decontam/``: ``index/`` (the checksum-keyed index cache, unless ``index_cache`` names a shared one) and
``run-<key>/`` (datatrove logs with completion markers, ``hits/`` per task, ``dropped/`` documents). The run key
covers the index key, the input shards and ``mark_only``, so re-running the same command skips finished tasks,
and changed evaluation files or settings start a fresh run. One task per input shard.

Usage: ``stages = decontamination_stages(list_shards("build"), [glue, squad], Path("clean"))``;
``run_stages(stages, ExecutorConfig(workers=4), work / "logs")``
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common import json_sha256

from corpus.decontam.errors import DecontaminationError
from corpus.decontam.index import BuiltIndex, ensure_index
from corpus.decontam.ngrams import DEFAULT_NGRAM
from corpus.decontam.report import REPORT_JSON, ContaminationReport, write_report
from corpus.decontam.step import ContaminationFilter, ShardReader, ShardWriter
from corpus.executors import ExecutorConfig, run_stages
from corpus.formats import SHARD_SUFFIX, list_shards
from corpus.stages import Stage

WORK_DIR = ".decontam"


def _shard_names(shards: Sequence[Path], root: Path | None) -> list[str]:
    base = root or Path(os.path.commonpath([s.resolve().parent for s in shards]))
    names = [str(s.resolve().relative_to(base.resolve())) for s in shards]
    if len(set(names)) != len(names):
        raise DecontaminationError("two input shards have the same name")
    return names


def resolve_shards(shards: str | Path | Sequence[str | Path]) -> tuple[list[Path], list[str]]:
    """Input shards (a build folder, a glob or a list) and the names their outputs get.

    In a list, a ``*.jsonl.zst`` path that does not exist yet is kept as is: a shard an earlier stage of the
    same build will write (``corpus build --decontaminate``).
    """
    if isinstance(shards, (str, os.PathLike)):
        items = list_shards(shards)
    else:
        items = [p for s in shards for p in ([Path(s)] if _future_shard(Path(s)) else list_shards(s))]
    if not items:
        raise DecontaminationError(f"no corpus shards found in {shards}")
    root = Path(shards) if isinstance(shards, (str, os.PathLike)) and Path(shards).is_dir() else None
    return items, _shard_names(items, root)


@dataclass(frozen=True)
class DecontaminationPlan:
    """The stages to run, their run folder (``logs/`` lives there) and the index they use."""

    stages: list[Stage]
    run: Path
    index: BuiltIndex

    @property
    def logs(self) -> Path:
        """datatrove logging root for ``run_stages`` (completion markers: what makes a re-run resume)."""
        return self.run / "logs"


def plan_decontamination(
    shards: str | Path | Sequence[str | Path],
    against: Sequence[str | Path],
    output: str | Path,
    *,
    mark_only: bool = False,
    ngram: int = DEFAULT_NGRAM,
    index_cache: str | Path | None = None,
) -> DecontaminationPlan:
    """Build or reuse the index now, and lay out the filter stage (one task per shard) and the report stage.

    Usage: ``plan = plan_decontamination(shards, against, out); run_stages(plan.stages, cfg, plan.logs)``
    """
    output = Path(output)
    items, names = resolve_shards(shards)
    if any((output / n).resolve() == s.resolve() for s, n in zip(items, names, strict=True)):
        raise DecontaminationError(
            f"--output {output} would overwrite the input shards; choose another folder"
        )
    built = ensure_index(against, index_cache or output / WORK_DIR / "index", ngram)
    run = run_dir(output, built.key, items, mark_only)
    from datatrove.pipeline.writers import JsonlWriter

    dropped = None if mark_only else JsonlWriter(str(run / "dropped"), output_filename="${rank}.jsonl.gz")
    filt = ContaminationFilter(
        built.path, mark_only=mark_only, hits_folder=run / "hits", exclusion_writer=dropped
    )
    report = ContaminationReport(run / "hits", built.summary, output, tasks=len(items), mark_only=mark_only)
    stages = [
        Stage(
            name="decontaminate",
            steps=[ShardReader(items), filt, ShardWriter(output, names)],
            tasks=len(items),
        ),
        Stage(name="decontamination-report", steps=[report], tasks=1),
    ]
    return DecontaminationPlan(stages, run, built)


def _future_shard(path: Path) -> bool:
    return path.name.endswith(SHARD_SUFFIX) and not path.exists()


def decontamination_stages(
    shards: str | Path | Sequence[str | Path],
    against: Sequence[str | Path],
    output: str | Path,
    *,
    mark_only: bool = False,
    ngram: int = DEFAULT_NGRAM,
    index_cache: str | Path | None = None,
) -> list[Stage]:
    """``plan_decontamination(...).stages``: append them to a build's stages (same executor, same logs root).

    Usage: ``stages += decontamination_stages(work / "shards", [glue, squad], output)``
    """
    plan = plan_decontamination(
        shards, against, output, mark_only=mark_only, ngram=ngram, index_cache=index_cache
    )
    return plan.stages


def run_dir(output: Path, index_key: str, shards: Sequence[Path], mark_only: bool) -> Path:
    """``output/.decontam/run-<key>``: one folder per (index, inputs, mode), so a re-run resumes in place."""
    key = json_sha256(
        {"index": index_key, "shards": [str(s.resolve()) for s in shards], "mark_only": mark_only}
    )
    return Path(output) / WORK_DIR / f"run-{key[:12]}"


def decontaminate(
    shards: str | Path | Sequence[str | Path],
    against: Sequence[str | Path],
    output: str | Path,
    *,
    mark_only: bool = False,
    ngram: int = DEFAULT_NGRAM,
    executor: ExecutorConfig | None = None,
    progress: bool = False,
    index_cache: str | Path | None = None,
) -> dict[str, Any]:
    """Decontaminate ``shards`` against the evaluation files ``against`` into ``output``; return the report.

    Usage: ``report = decontaminate("build", ["glue", "squad/dev-v1.1.json.zip"], "clean", mark_only=True)``
    """
    start = time.perf_counter()
    output = Path(output)
    plan = plan_decontamination(
        shards, against, output, mark_only=mark_only, ngram=ngram, index_cache=index_cache
    )
    cfg = executor or ExecutorConfig()
    run_stages(plan.stages, cfg, plan.logs, progress=progress)
    if cfg.kind == "slurm" and not cfg.wait:
        return {"submitted": True, "output": str(output)}
    report = json.loads((output / REPORT_JSON).read_text(encoding="utf-8"))
    report["seconds"] = round(time.perf_counter() - start, 3)
    write_report(output, report)
    return report
