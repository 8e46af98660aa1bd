"""Stories threshold pass: keep the top fraction of scored documents without holding the corpus in memory.

The score pass left, per task, a shard of scored documents and an aligned ``.scores.npy``. Here:

1. ``plan_selection`` streams the score files (8 bytes a document) to find the k-th largest score
   (k = ceil(fraction * N)) with a size-k min-heap, so memory is O(k), not O(N); then it decides, per task
   in task order, how many documents tied at the threshold each may keep, so exactly k are kept.
2. ``write_selection`` streams each scored shard and writes the kept documents to the output shard of the
   same name; an output shard already present is skipped (re-running after a kill resumes).

Usage: ``plan = plan_selection(work / "scored", 0.001); write_selection(plan, out)``
"""

from __future__ import annotations

import heapq
import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from corpus.formats import CorpusFormatError, read_shard, write_shard
from tqdm import tqdm

CHUNK = 1 << 16  # scores read per step from each memory-mapped file


@dataclass(frozen=True, kw_only=True)
class SelectionPlan:
    """Which documents of each scored shard to keep: score > threshold, plus the first ``ties[i]`` equal."""

    shards: tuple[Path, ...]
    threshold: float
    ties: tuple[int, ...]
    total: int
    keep: int


def _score_file(shard: Path) -> Path:
    return shard.with_name(shard.name.removesuffix(".jsonl.zst") + ".scores.npy")


def _chunks(path: Path):
    arr = np.load(path, mmap_mode="r")
    for i in range(0, len(arr), CHUNK):
        yield np.asarray(arr[i : i + CHUNK])


def plan_selection(scored_dir: str | os.PathLike[str], fraction: float) -> SelectionPlan:
    """Find the threshold that keeps the top ``fraction`` of documents, and the tie budget per shard."""
    if not 0 < fraction <= 1:
        raise ValueError(f"top fraction must be in (0, 1], got {fraction}")
    shards = tuple(sorted(Path(scored_dir).glob("*.jsonl.zst")))
    for s in shards:
        if not _score_file(s).is_file():
            raise CorpusFormatError(f"{s} has no scores file: re-run the score pass")
    total = sum(len(np.load(_score_file(s), mmap_mode="r")) for s in shards)
    if total == 0:
        return SelectionPlan(shards=shards, threshold=math.inf, ties=(0,) * len(shards), total=0, keep=0)
    k = max(1, math.ceil(fraction * total - 1e-9))  # -1e-9: 0.1 * 30 is 3.0000000000000004 in floats
    heap: list[float] = []
    for s in shards:
        for chunk in _chunks(_score_file(s)):
            for v in chunk.tolist():
                if len(heap) < k:
                    heapq.heappush(heap, v)
                elif v > heap[0]:
                    heapq.heapreplace(heap, v)
    threshold = heap[0]
    budget = k - sum(1 for v in heap if v > threshold)  # documents at exactly the threshold still to keep
    ties = []
    for s in shards:
        at = sum(int(np.count_nonzero(c == threshold)) for c in _chunks(_score_file(s)))
        ties.append(min(at, budget))
        budget -= ties[-1]
    return SelectionPlan(shards=shards, threshold=threshold, ties=tuple(ties), total=total, keep=k)


def write_selection(plan: SelectionPlan, out_dir: str | os.PathLike[str]) -> int:
    """Write the kept documents of every scored shard to ``out_dir``; return how many are kept in total."""
    kept = 0
    for shard, ties in tqdm(
        list(zip(plan.shards, plan.ties, strict=True)), desc="stories select", unit="shard"
    ):
        scores = np.load(_score_file(shard), mmap_mode="r")
        state = {"ties": ties, "i": 0, "n": 0}

        def chosen(shard=shard, scores=scores, state=state):
            for doc in read_shard(shard):
                i = state["i"]
                state["i"] += 1
                if i >= len(scores):
                    raise CorpusFormatError(f"{shard} has more documents than scores")
                s = float(scores[i])
                if s > plan.threshold or (s == plan.threshold and state["ties"] > 0):
                    state["ties"] -= s == plan.threshold
                    state["n"] += 1
                    yield doc

        target = Path(out_dir) / shard.name
        if target.is_file():
            kept += sum(1 for _ in read_shard(target, validate=False))
            continue
        write_shard(target, chosen())
        kept += state["n"]
    return kept
