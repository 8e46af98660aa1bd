"""Decontamination inside ``corpus build ... --decontaminate A,B``: the build's final writer writes to
``_work/shards/`` and the decontamination stages turn those shards into the build's output shards.

The stages run on the build's executor, in the build's logs folder (so Slurm chains them with ``afterok``
like any other stage, and a re-run skips finished tasks). Their names carry the evaluation index's key:
changed evaluation files give fresh stages (and stale findings are ignored by ``corpus.buildstats``).

Usage: ``stages = with_decontamination(stages, output, cfg.decontam, tasks=tasks)``
"""

from __future__ import annotations

from pathlib import Path

from corpus.decontam.config import DecontamConfig
from corpus.decontam.index import ensure_index
from corpus.decontam.stage import plan_decontamination
from corpus.stages import Stage
from corpus.steps.io import CorpusShardWriter

SHARDS_DIR = "shards"  # under the build's _work/: the shards before decontamination
INDEX_DIR = "decontam-index"
STAGE_PREFIXES = ("decontaminate-", "decontamination-report-")


def stage_key(index_key: str) -> str:
    """The part of the decontamination stage names that identifies the index (12 hex digits)."""
    return index_key[:12]


def prepare_index(cfg: DecontamConfig, work: Path) -> None:
    """Build (or find) the evaluation index in ``work/decontam-index`` now: bad evaluation input fails early."""
    if cfg.enabled:
        ensure_index(list(cfg.against), work / INDEX_DIR, cfg.ngram)


def with_decontamination(
    stages: list[Stage], output: Path, cfg: DecontamConfig, *, work: Path, tasks: int
) -> list[Stage]:
    """``stages`` whose final shard writer writes to ``work/shards``, then the decontamination stages.

    The index is built (or found in ``work/decontam-index``) now, so a bad evaluation path fails before
    any work. Without ``cfg.against`` the stages come back unchanged.
    """
    if not cfg.enabled:
        return stages
    writer = stages[-1].steps[-1]
    if not isinstance(writer, CorpusShardWriter):
        raise RuntimeError("a build's last stage must end with CorpusShardWriter to be decontaminated")
    writer.output_folder = work / SHARDS_DIR
    future = [work / SHARDS_DIR / f"{writer.prefix}-{r:05d}.jsonl.zst" for r in range(tasks)]
    plan = plan_decontamination(
        future,
        list(cfg.against),
        output,
        mark_only=cfg.mark_only,
        ngram=cfg.ngram,
        index_cache=work / INDEX_DIR,
    )
    key = stage_key(plan.index.key)
    for stage in plan.stages:
        stage.name = f"{stage.name}-{key}"
    return [*stages, *plan.stages]
