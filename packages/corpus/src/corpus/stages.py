"""Stages of a corpus build: each is a function returning a list of datatrove steps, plus its task count.

A build is a list of ``Stage``s run in order by one executor kind (see ``corpus.executors``): the document
stage (read, extract, filter; written to ``work/10_docs``), then the disk-backed dedup stages, then the shard
writer and the stats stage. The dedup and writer stages are source-agnostic: any builder whose first stage
writes ``work/10_docs/{rank:05d}.jsonl.gz`` (datatrove ``JsonlWriter``) reuses them unchanged.

Usage: ``stages = [Stage(name="docs", steps=[...], tasks=8), *dedup_and_write_stages(work, out, tasks=8, ...)]``
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from datatrove.pipeline.base import PipelineStep

from corpus.steps.dedup import DedupConfig, RegexWordTokenizer, normalized_text_key, normalized_url_key
from corpus.steps.extract import ArticleExtractor, ExtractConfig
from corpus.steps.filters import EnglishFilter, FilterConfig, LengthFilter, quality_filters
from corpus.steps.io import CorpusShardWriter, RankJsonlReader

DOCS_DIR = "10_docs"


@dataclass(kw_only=True)
class Stage:
    """One executor run: ``steps`` over ``tasks`` tasks (the same task count as the stage it reads from)."""

    name: str
    steps: list[Any] = field(default_factory=list)
    tasks: int = 1


class TaskCpuClock(PipelineStep):
    """Last step of every stage: records the task's CPU seconds (``task_cpu_s``) once the pipeline is drained.

    Per-task CPU summed over tasks gives docs/s per core on any executor (a local pool's workers are not our
    children, so ``getrusage`` cannot see them), and stays right after a resumed run.
    """

    type = "⏱ - CLOCK"
    name = "task cpu"

    def run(self, data: Any = None, rank: int = 0, world_size: int = 1) -> Any:
        import time

        start = time.process_time()
        yield from data or ()
        self.stat_update("task_cpu_s", value=round(time.process_time() - start, 4), unit="task")


def intermediate_writer(folder: str | Path) -> PipelineStep:
    """datatrove JsonlWriter writing ``{rank:05d}.jsonl.gz`` (what ``RankJsonlReader`` reads back)."""
    from datatrove.pipeline.writers import JsonlWriter

    return JsonlWriter(str(folder), output_filename="${rank}.jsonl.gz", compression="gzip")


def document_steps(
    extract: ExtractConfig, filters: FilterConfig, work_dir: str | Path | None = None
) -> list[PipelineStep]:
    """HTML Document -> article -> English/length/quality filtered (generic for any HTML source)."""

    def aside(name: str) -> Any:
        if not (filters.write_dropped and work_dir):
            return None
        from datatrove.pipeline.writers import JsonlWriter

        return JsonlWriter(str(Path(work_dir) / "dropped" / name), output_filename="${rank}.jsonl.gz")

    steps: list[PipelineStep] = [
        ArticleExtractor(extract),
        EnglishFilter(
            languages=filters.languages,
            min_score=filters.min_language_score,
            exclusion_writer=aside("language"),
        ),
    ]
    if filters.min_words > 0 or filters.min_chars > 0:
        steps.append(
            LengthFilter(
                min_words=filters.min_words, min_chars=filters.min_chars, exclusion_writer=aside("length")
            )
        )
    if filters.quality:
        for f in quality_filters(filters):
            f.exclusion_writer = aside(f"quality_{type(f).__name__.removeprefix('Fast')}")
            steps.append(f)
    return steps


def _exact_config(key: str) -> Any:
    from datatrove.pipeline.dedup.exact_dedup import ExactDedupConfig
    from datatrove.utils.hashing import HashConfig

    getter = normalized_url_key if key == "url" else normalized_text_key
    return ExactDedupConfig(content_getter=getter, hash_config=HashConfig(precision=64, hash_fc="xxhash"))


def _minhash_config(cfg: DedupConfig) -> Any:
    from datatrove.pipeline.dedup.minhash import MinhashConfig
    from datatrove.utils.hashing import HashConfig

    return MinhashConfig(
        n_grams=cfg.minhash_ngrams,
        num_buckets=cfg.minhash_buckets,
        hashes_per_bucket=cfg.minhash_hashes_per_bucket,
        # sha1: datatrove's MinHash passes str shingles, which the xxhash binding refuses
        hash_config=HashConfig(precision=64, hash_fc="sha1"),
    )


def exact_dedup_stages(work: Path, src: str, dst: str, key: str, tasks: int, cfg: DedupConfig) -> list[Stage]:
    """Exact dedup of ``work/src`` on ``key`` (url|text) into ``work/dst``: signatures, merge, filter."""
    from datatrove.pipeline.dedup.exact_dedup import ExactDedupFilter, ExactDedupSignature, ExactFindDedups

    conf = _exact_config(key)
    sigs, dups = work / f"{dst}_sigs", work / f"{dst}_dups"
    return [
        Stage(
            name=f"exact-{key}-signatures",
            steps=[RankJsonlReader(work / src), ExactDedupSignature(str(sigs), conf, cfg.finder_workers)],
            tasks=tasks,
        ),
        Stage(
            name=f"exact-{key}-find",
            steps=[ExactFindDedups(str(sigs), str(dups), conf)],
            tasks=cfg.finder_workers,
        ),
        Stage(
            name=f"exact-{key}-filter",
            steps=[
                RankJsonlReader(work / src),
                ExactDedupFilter(str(dups), conf),
                intermediate_writer(work / dst),
            ],
            tasks=tasks,
        ),
    ]


def near_dedup_stages(work: Path, src: str, tasks: int, cfg: DedupConfig) -> tuple[list[Stage], PipelineStep]:
    """MinHash LSH over ``work/src``: signature, bucket and cluster stages, plus the filter step to chain."""
    from datatrove.pipeline.dedup.minhash import (
        MinhashDedupBuckets,
        MinhashDedupCluster,
        MinhashDedupFilter,
        MinhashDedupSignature,
    )

    conf = _minhash_config(cfg)
    sigs, buckets, clusters = work / "near_sigs", work / "near_buckets", work / "near_remove"
    stages = [
        Stage(
            name="near-signatures",
            steps=[
                RankJsonlReader(work / src),
                MinhashDedupSignature(str(sigs), conf, language=RegexWordTokenizer()),
            ],
            tasks=tasks,
        ),
        Stage(
            name="near-buckets",
            steps=[MinhashDedupBuckets(str(sigs), str(buckets), config=conf)],
            tasks=cfg.minhash_buckets,
        ),
        Stage(
            name="near-cluster",
            steps=[MinhashDedupCluster(str(buckets), str(clusters), config=conf)],
            tasks=1,
        ),
    ]
    return stages, MinhashDedupFilter(str(clusters))


def dedup_and_write_stages(
    work: str | Path, output: str | Path, *, tasks: int, source: str, dedup: DedupConfig
) -> list[Stage]:
    """Every stage after the document stage: URL, text and near dedup, then the contract shard writer."""
    work = Path(work)
    stages: list[Stage] = []
    current = DOCS_DIR
    for key, enabled in (("url", dedup.exact_url), ("text", dedup.exact_text)):
        if enabled:
            nxt = f"{20 if key == 'url' else 30}_unique_{key}"
            stages += exact_dedup_stages(work, current, nxt, key, tasks, dedup)
            current = nxt
    final: list[Any] = [RankJsonlReader(work / current)]
    if dedup.near:
        near, near_filter = near_dedup_stages(work, current, tasks, dedup)
        stages += near
        final.append(near_filter)
    final.append(CorpusShardWriter(output, source=source))
    stages.append(Stage(name="write-shards", steps=final, tasks=tasks))
    return stages
