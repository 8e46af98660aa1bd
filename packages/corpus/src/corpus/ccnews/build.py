"""``corpus build cc-news``: CommonCrawl CC-NEWS WARCs -> in-window, English, deduplicated article shards.

The paper's CC-NEWS (Sept 2016 - Feb 2019, collected with news-please). Stages: list the months' WARCs, read
HTTP 200 HTML records, keep the date window, extract articles, filter (English, length, Gopher/C4), dedup
(URL, text hash, MinHash), optionally decontaminate against evaluation sets (``cfg.decontam``), write zstd JSONL shards + ``stats.json`` + ``config.json`` (resolved settings).
Re-running the same command resumes a killed build; a different config into the same folder is refused.

Usage: ``stats = build_cc_news("../shared/data/cc_news_mirror", "out/ccnews", "2016-09", "2019-02")``
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from corpus.buildkit import WORK_DIR, finish_stats, record_settings, submission_facts
from corpus.decontam.build import with_decontamination
from corpus.decontam.config import DecontamConfig
from corpus.errors import CorpusError
from corpus.executors import ExecutorConfig, run_stages
from corpus.sources import DEFAULT_SOURCE, list_cc_news_warcs, resolve_source
from corpus.stages import DOCS_DIR, Stage, dedup_and_write_stages, document_steps, intermediate_writer
from corpus.steps.dates import DateWindowFilter
from corpus.steps.dedup import DedupConfig
from corpus.steps.extract import ExtractConfig
from corpus.steps.filters import FilterConfig
from corpus.steps.warc import WarcRecordReader


@dataclass(frozen=True, kw_only=True)
class CCNewsConfig:
    """Everything that defines a CC-NEWS build; the paper's window is the default."""

    source: str = DEFAULT_SOURCE
    month_from: str = "2016-09"
    month_to: str = "2019-02"
    tasks: int = 1
    limit: int | None = None  # at most this many HTML pages read in total (split evenly over tasks)
    max_html_bytes: int = 2_000_000
    extract: ExtractConfig = field(default_factory=ExtractConfig)
    filters: FilterConfig = field(default_factory=FilterConfig)
    dedup: DedupConfig = field(default_factory=DedupConfig)
    decontam: DecontamConfig = field(default_factory=DecontamConfig)

    def __post_init__(self) -> None:
        if self.tasks < 1:
            raise CorpusError(f"--tasks must be >= 1, got {self.tasks}")
        if self.limit is not None and self.limit < 1:
            raise CorpusError(f"--limit must be >= 1, got {self.limit}")


def cc_news_stages(cfg: CCNewsConfig, output: Path, *, progress: bool = False) -> tuple[list[Stage], dict]:
    """List the window's WARCs and return the build's stages plus listing facts for ``stats.json``."""
    source = resolve_source(cfg.source)
    paths, missing = list_cc_news_warcs(source, cfg.month_from, cfg.month_to)
    tasks = min(cfg.tasks, len(paths))  # a task without a WARC file would only add overhead
    per_task_limit = math.ceil(cfg.limit / tasks) if cfg.limit else -1
    work = output / WORK_DIR
    docs = Stage(
        name="docs",
        tasks=tasks,
        steps=[
            WarcRecordReader(
                source, paths, max_html_bytes=cfg.max_html_bytes, limit=per_task_limit, progress=progress
            ),
            DateWindowFilter(month_from=cfg.month_from, month_to=cfg.month_to),
            *document_steps(cfg.extract, cfg.filters, work),
            intermediate_writer(work / DOCS_DIR),
        ],
    )
    stages = [docs, *dedup_and_write_stages(work, output, tasks=tasks, source="cc-news", dedup=cfg.dedup)]
    stages = with_decontamination(stages, output, cfg.decontam, work=work, tasks=tasks)
    listing = {"warc_files": len(paths), "months_missing": missing, "tasks": tasks}
    return stages, listing


def build_cc_news(
    source: str | Path = DEFAULT_SOURCE,
    output: str | Path = "cc_news",
    month_from: str = "2016-09",
    month_to: str = "2019-02",
    *,
    limit: int | None = None,
    tasks: int = 1,
    workers: int = 1,
    extractor: str = "trafilatura",
    executor: str | ExecutorConfig = "local",
    config: CCNewsConfig | None = None,
    progress: bool = False,
) -> dict[str, Any]:
    """Build CC-NEWS into ``output``; return the stats written to ``output/stats.json``.

    ``config`` (when given) overrides source/months/limit/tasks/extractor. With the Slurm executor the jobs are
    submitted, followed to the end and the same stats written (``wait=False``: the function returns the submission
    facts once submitted; re-running it waits and writes the stats).
    """
    cfg = config or CCNewsConfig(
        source=str(source),
        month_from=month_from,
        month_to=month_to,
        tasks=tasks,
        limit=limit,
        extract=ExtractConfig(extractor=extractor),
    )
    ex_cfg = (
        executor if isinstance(executor, ExecutorConfig) else ExecutorConfig(kind=executor, workers=workers)
    )
    output = Path(output)
    stages, listing = cc_news_stages(cfg, output, progress=progress)
    record_settings(output, "cc-news", cfg, ex_cfg)
    logs = output / WORK_DIR / "logs"
    start = time.time()
    run_stages(stages, ex_cfg, logs, progress=progress)
    if ex_cfg.kind == "slurm" and not ex_cfg.wait:
        return submission_facts(stages, listing)
    return finish_stats(output, listing, wall_s=time.time() - start, source=cfg.source)
