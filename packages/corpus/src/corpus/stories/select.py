"""Stories threshold search: the score above which the top fraction of documents lies, in O(k) memory.

The score pass left one ``{rank:05d}.scores.npy`` per task (8 bytes a document, in document order).
``plan_selection`` streams them through a size-k min-heap (k = ceil(fraction * N)), so memory is O(k) and
not O(N) however big the crawl, then shares the documents tied at the threshold out in task order so that
exactly k are kept. The plan is a small JSON file that the select stage's ``TopFractionFilter`` reads.

Usage: ``plan = plan_selection(work / "scores", 0.001); save_plan(plan, work / "selection.json")``
"""

from __future__ import annotations

import heapq
import math
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from common import write_json_atomic

from corpus.errors import CorpusError

CHUNK = 1 << 16  # scores read per step from each memory-mapped file


@dataclass(frozen=True, kw_only=True)
class SelectionPlan:
    """Keep score > ``threshold``, plus the first ``ties[rank]`` documents of task ``rank`` equal to it."""

    threshold: float | None  # None: nothing to keep
    ties: dict[str, int]
    total: int
    keep: int
    fraction: float


def _rank(path: Path) -> str:
    return str(int(path.name.split(".")[0]))


def _chunks(path: Path):
    arr = np.load(path, mmap_mode="r")
    for i in range(0, len(arr), CHUNK):
        yield np.asarray(arr[i : i + CHUNK])


def plan_selection(scores_dir: str | os.PathLike[str], fraction: float) -> SelectionPlan:
    """Find the threshold that keeps the top ``fraction`` of all scored documents, and the ties per task."""
    if not 0 < fraction <= 1:
        raise CorpusError(f"--top-fraction must be in (0, 1], got {fraction}")
    files = sorted(Path(scores_dir).glob("*.scores.npy"), key=lambda p: int(_rank(p)))
    total = sum(len(np.load(f, mmap_mode="r")) for f in files)
    if total == 0:
        return SelectionPlan(threshold=None, ties={}, total=0, keep=0, fraction=fraction)
    k = max(1, math.ceil(fraction * total - 1e-9))  # -1e-9: 0.1 * 30 is 3.0000000000000004 in floats
    heap: list[float] = []
    for f in files:
        for chunk in _chunks(f):
            for v in chunk.tolist():
                if len(heap) < k:
                    heapq.heappush(heap, v)
                elif v > heap[0]:
                    heapq.heapreplace(heap, v)
    threshold = heap[0]
    budget = k - sum(1 for v in heap if v > threshold)  # documents exactly at the threshold still to keep
    ties: dict[str, int] = {}
    for f in files:
        at = sum(int(np.count_nonzero(c == threshold)) for c in _chunks(f))
        ties[_rank(f)] = min(at, budget)
        budget -= ties[_rank(f)]
    return SelectionPlan(threshold=threshold, ties=ties, total=total, keep=k, fraction=fraction)


def save_plan(plan: SelectionPlan, path: str | os.PathLike[str]) -> None:
    """Write the plan atomically (read back by ``TopFractionFilter``)."""
    write_json_atomic(path, asdict(plan))
