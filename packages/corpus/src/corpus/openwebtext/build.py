"""``corpus build openwebtext``: Reddit submission dumps -> URLs (score >= 3) -> CommonCrawl captures -> shards.

Stages: mine the URL list from the dumps (``corpus.openwebtext.mine``), then one datatrove document stage
(URL list -> CDX lookup -> WARC range fetch -> the CC-NEWS extraction and filters), then the CC-NEWS dedup
and shard-writer stages unchanged (``corpus.stages.dedup_and_write_stages``). Output: zstd JSONL shards with
``source = "openwebtext"``, ``stats.json`` and ``config.json``; intermediates under ``OUT/_work``. Re-running
the same command resumes (mining is skipped once done; datatrove skips finished tasks).

Usage: ``stats = build_openwebtext(OpenWebTextConfig(submissions=("RS_*.zst",), cdx=CdxConfig(index_url=u)), out)``
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from corpus.buildkit import WORK_DIR, cpu_seconds, finish_stats, record_settings, submission_facts
from corpus.decontam.build import with_decontamination
from corpus.decontam.config import DecontamConfig
from corpus.errors import CorpusError
from corpus.executors import ExecutorConfig, run_stages
from corpus.openwebtext.cdx import CdxConfig
from corpus.openwebtext.fetch import FetchConfig
from corpus.openwebtext.mine import mine_urls
from corpus.openwebtext.steps import CdxLookup, UrlListReader, WarcRangeFetch
from corpus.openwebtext.submissions import expand_dumps
from corpus.openwebtext.urls import UrlFilterConfig
from corpus.stages import DOCS_DIR, Stage, dedup_and_write_stages, document_steps, intermediate_writer
from corpus.steps.dedup import DedupConfig
from corpus.steps.extract import ExtractConfig
from corpus.steps.filters import FilterConfig

SOURCE_NAME = "openwebtext"
URLS_DIR = "00_urls"


@dataclass(frozen=True, kw_only=True)
class OpenWebTextConfig:
    """Everything that defines an OpenWebText build; the OpenWebText recipe's values are the defaults."""

    submissions: tuple[str, ...] = ()  # dump files, globs or folders (RS_*.zst / .xz / .bz2)
    urls: UrlFilterConfig = field(default_factory=UrlFilterConfig)
    url_buckets: int = 64  # dedup spill buckets; also the most tasks the document stage can use
    cdx: CdxConfig = field(default_factory=CdxConfig)
    fetch: FetchConfig = field(default_factory=FetchConfig)
    tasks: int = 1
    limit: int | None = None  # at most this many URLs looked up in total (split evenly over tasks)
    max_html_bytes: int = 2_000_000
    extract: ExtractConfig = field(default_factory=ExtractConfig)
    filters: FilterConfig = field(default_factory=FilterConfig)
    dedup: DedupConfig = field(default_factory=DedupConfig)
    decontam: DecontamConfig = field(default_factory=DecontamConfig)

    def __post_init__(self) -> None:
        if not self.submissions:
            raise CorpusError("--submissions: give at least one dump file, glob or folder")
        if self.tasks < 1 or self.url_buckets < 1:
            raise CorpusError(f"--tasks and --url_buckets must be >= 1, got {self.tasks}, {self.url_buckets}")
        if self.limit is not None and self.limit < 1:
            raise CorpusError(f"--limit must be >= 1, got {self.limit}")


def check_fetch_source(source: str) -> None:
    """Range requests need an http(s) URL or an existing local folder laid out like CommonCrawl."""
    if source.startswith(("http://", "https://")):
        return
    if "://" in source:
        raise CorpusError(f"--source {source}: record fetches need an https URL or a local folder")
    if not Path(source).is_dir():
        raise CorpusError(f"source folder not found: {source}")


def openwebtext_stages(
    cfg: OpenWebTextConfig, output: Path, *, progress: bool = False
) -> tuple[list[Stage], dict]:
    """Mine the URLs (if not done yet) and return the build's datatrove stages plus mining facts."""
    work = output / WORK_DIR
    dumps = expand_dumps(list(cfg.submissions))
    counts = mine_urls(dumps, work / URLS_DIR, cfg.urls, n_buckets=cfg.url_buckets, progress=progress)
    tasks = min(cfg.tasks, cfg.url_buckets)
    per_task_limit = math.ceil(cfg.limit / tasks) if cfg.limit else -1
    docs = Stage(
        name="docs",
        tasks=tasks,
        steps=[
            UrlListReader(work / URLS_DIR, limit=per_task_limit, progress=progress),
            CdxLookup(cfg.cdx),
            WarcRangeFetch(cfg.fetch, max_html_bytes=cfg.max_html_bytes),
            *document_steps(cfg.extract, cfg.filters, work),
            intermediate_writer(work / DOCS_DIR),
        ],
    )
    stages = [docs, *dedup_and_write_stages(work, output, tasks=tasks, source=SOURCE_NAME, dedup=cfg.dedup)]
    stages = with_decontamination(stages, output, cfg.decontam, work=work, tasks=tasks)
    facts = {
        "index": cfg.cdx.index_url,
        "dump_files": len(dumps),
        "tasks": tasks,
        "url_mining": counts,
        "urls": counts.get("urls", 0),
    }
    return stages, facts


def build_openwebtext(
    cfg: OpenWebTextConfig,
    output: str | Path,
    *,
    executor: ExecutorConfig | None = None,
    progress: bool = False,
) -> dict[str, Any]:
    """Build OpenWebText into ``output``; return the stats written to ``output/stats.json``."""
    ex_cfg = executor or ExecutorConfig()
    output = Path(output)
    expand_dumps(list(cfg.submissions))  # a wrong --submissions is the likelier mistake: report it first
    check_fetch_source(cfg.fetch.source)
    record_settings(output, SOURCE_NAME, cfg, ex_cfg)
    start, cpu0 = time.time(), cpu_seconds()
    stages, facts = openwebtext_stages(cfg, output, progress=progress)
    run_stages(stages, ex_cfg, output / WORK_DIR / "logs", progress=progress)
    if ex_cfg.kind == "slurm" and not ex_cfg.wait:
        return submission_facts(stages, facts)
    return finish_stats(
        output, facts, wall_s=time.time() - start, cpu_s=cpu_seconds() - cpu0, source=cfg.fetch.source
    )
