"""``corpus build stories``: the CommonCrawl documents most like commonsense questions (Trinh & Le 2018).

Stages: list ``crawl-data/CRAWL/warc.paths.gz``; the CC-NEWS document stage (WARC records -> extraction ->
English/length/quality filters) and dedup stages; the last dedup stage scores each surviving document
(``StoriesScorer``) and records the scores (``ScoreRecorder``) instead of writing shards. Then the threshold
search, a one-task stage of its own (``SelectionPlanner``), streams the score files (``plan_selection``, O(k)
memory), so the whole build is one chain on every executor (Slurm included), and a select stage keeps the top fraction
and writes the contract shards (``source = "stories"``), decontaminated when ``cfg.decontam`` names evaluation sets. Re-running the same command resumes.

Usage: ``stats = build_stories(StoriesConfig(source=mirror, crawl="CC-MAIN-2018-05", queries=wsc_xml), out)``
"""

from __future__ import annotations

import json
import math
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from corpus.buildkit import WORK_DIR, cpu_seconds, finish_stats, record_settings, submission_facts
from corpus.decontam.build import prepare_index, with_decontamination
from corpus.decontam.config import DecontamConfig
from corpus.errors import CorpusError
from corpus.executors import ExecutorConfig, run_stages
from corpus.sources import DEFAULT_SOURCE, read_paths_file, resolve_source
from corpus.stages import DOCS_DIR, Stage, dedup_and_write_stages, document_steps, intermediate_writer
from corpus.steps.dedup import DedupConfig
from corpus.steps.extract import ExtractConfig
from corpus.steps.filters import FilterConfig
from corpus.steps.io import CorpusShardWriter, RankJsonlReader
from corpus.steps.warc import WarcRecordReader
from corpus.stories.queries import load_queries
from corpus.stories.steps import ScoreRecorder, SelectionPlanner, StoriesScorer, TopFractionFilter

SOURCE_NAME = "stories"
SCORED_DIR = "40_scored"
SCORES_DIR = "40_scores"
PLAN_FILE = "selection.json"
_CRAWL_RE = re.compile(r"^CC-MAIN-\d{4}-\d{2}$")


@dataclass(frozen=True, kw_only=True)
class StoriesConfig:
    """Everything that defines a Stories build; Trinh & Le's top 0.1 % is the default fraction."""

    source: str = DEFAULT_SOURCE
    crawl: str = ""  # CC-MAIN-YYYY-WW
    queries: str = ""  # Winograd XML (WSC273) or a text file of questions, one a line
    top_fraction: float = 0.001
    tasks: int = 1
    limit: int | None = None  # at most this many HTML pages read in total (split evenly over tasks)
    max_html_bytes: int = 2_000_000
    extract: ExtractConfig = field(default_factory=ExtractConfig)
    filters: FilterConfig = field(default_factory=FilterConfig)
    dedup: DedupConfig = field(default_factory=DedupConfig)
    decontam: DecontamConfig = field(default_factory=DecontamConfig)

    def __post_init__(self) -> None:
        if not _CRAWL_RE.match(self.crawl):
            raise CorpusError(f"bad --crawl {self.crawl!r}: expected CC-MAIN-YYYY-WW")
        if not 0 < self.top_fraction <= 1:
            raise CorpusError(f"--top-fraction must be in (0, 1], got {self.top_fraction}")
        if self.tasks < 1 or (self.limit is not None and self.limit < 1):
            raise CorpusError("--tasks and --limit must be >= 1")


def score_stages(
    cfg: StoriesConfig, output: Path, questions: list[str], *, progress: bool = False
) -> tuple[list[Stage], dict]:
    """The document, dedup and score stages over the crawl's WARC files, plus listing facts."""
    source = resolve_source(cfg.source)
    paths = read_paths_file(source, f"crawl-data/{cfg.crawl}/warc.paths.gz")
    if not paths:
        raise CorpusError(f"crawl-data/{cfg.crawl}/warc.paths.gz under {source.root} lists no WARC file")
    tasks = min(cfg.tasks, len(paths))
    per_task_limit = math.ceil(cfg.limit / tasks) if cfg.limit else -1
    work = output / WORK_DIR
    docs = Stage(
        name="docs",
        tasks=tasks,
        steps=[
            WarcRecordReader(
                source, paths, max_html_bytes=cfg.max_html_bytes, limit=per_task_limit, progress=progress
            ),
            *document_steps(cfg.extract, cfg.filters, work),
            intermediate_writer(work / DOCS_DIR),
        ],
    )
    stages = [docs, *dedup_and_write_stages(work, output, tasks=tasks, source=SOURCE_NAME, dedup=cfg.dedup)]
    # the last dedup stage ends in the shard writer: score and record instead (the select stage writes)
    last = stages[-1]
    if not isinstance(last.steps[-1], CorpusShardWriter):
        raise RuntimeError("corpus.stages.dedup_and_write_stages no longer ends with CorpusShardWriter")
    last.steps[-1:] = [
        StoriesScorer(questions),
        ScoreRecorder(work / SCORES_DIR),
        intermediate_writer(work / SCORED_DIR),
    ]
    facts = {"crawl": cfg.crawl, "warc_files": len(paths), "tasks": tasks, "questions": len(questions)}
    return stages, facts


def select_stage(cfg: StoriesConfig, output: Path, tasks: int) -> Stage:
    """Keep the planned top fraction of each task's scored documents and write the contract shards."""
    work = output / WORK_DIR
    return Stage(
        name="select",
        tasks=tasks,
        steps=[
            RankJsonlReader(work / SCORED_DIR),
            TopFractionFilter(work / PLAN_FILE),
            CorpusShardWriter(output, source=SOURCE_NAME),
        ],
    )


def build_stories(
    cfg: StoriesConfig, output: str | Path, *, executor: ExecutorConfig | None = None, progress: bool = False
) -> dict[str, Any]:
    """Build Stories into ``output``; return the stats written to ``output/stats.json``."""
    ex_cfg = executor or ExecutorConfig()
    output = Path(output)
    questions = load_queries(cfg.queries)
    prepare_index(cfg.decontam, output / WORK_DIR)  # a bad evaluation path fails now, not after scoring
    record_settings(output, SOURCE_NAME, cfg, ex_cfg)
    start, cpu0 = time.time(), cpu_seconds()
    stages, facts = score_stages(cfg, output, questions, progress=progress)
    logs = output / WORK_DIR / "logs"
    work = output / WORK_DIR
    plan_stage = Stage(
        name="selection-plan",
        tasks=1,
        steps=[SelectionPlanner(work / SCORES_DIR, cfg.top_fraction, work / PLAN_FILE)],
    )
    select = select_stage(cfg, output, facts["tasks"])
    final = with_decontamination([select], output, cfg.decontam, work=work, tasks=facts["tasks"])
    chain = [*stages, plan_stage, *final]  # one chain: Slurm submits it at once, with afterok between stages
    run_stages(chain, ex_cfg, logs, progress=progress)
    if ex_cfg.kind == "slurm" and not ex_cfg.wait:
        return submission_facts(chain, facts)
    plan = json.loads((work / PLAN_FILE).read_text(encoding="utf-8"))
    facts["selection"] = {"scored": plan["total"], "kept": plan["keep"], "threshold": plan["threshold"]}
    return finish_stats(
        output, facts, wall_s=time.time() - start, cpu_s=cpu_seconds() - cpu0, source=cfg.source
    )
