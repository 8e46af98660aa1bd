"""The decontamination index, built once per set of evaluation files and cached by their checksums.

The cache key is the sha256 of (each evaluation file's path and sha256, the n-gram size, datatrove's
normalisation and hash settings, the index format version). ``index-<key16>.npz`` plus its ``.json``
summary live in the cache folder: an unchanged set of files reuses them, a changed file gives a new key and a
fresh build. Files are written atomically, so a present index is a complete one.

Usage: ``built = ensure_index(["../shared/data/glue"], cache_dir=Path("out/.decontam")); idx = built.load()``
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common import atomic_path, file_sha256, json_sha256, write_json_atomic

from corpus.decontam.errors import DecontaminationError
from corpus.decontam.evalsets import eval_files, load_eval_sets
from corpus.decontam.ngrams import DEFAULT_NGRAM, HASH_CONFIG, NORM_CONFIG, NgramIndex

INDEX_VERSION = 1


@dataclass(frozen=True)
class BuiltIndex:
    """Where a cached index lives, its key and its summary (tasks, examples, entries, bytes, build time)."""

    path: Path
    key: str
    summary: dict[str, Any]
    reused: bool

    def load(self) -> NgramIndex:
        """Load the index arrays (what each filter task does once)."""
        try:
            return NgramIndex.load(self.path)
        except (OSError, ValueError, KeyError) as e:
            raise DecontaminationError(f"cannot read decontamination index {self.path}: {e}") from None


def index_key(against: Sequence[str | Path], ngram: int = DEFAULT_NGRAM) -> str:
    """Hex sha256 naming the index of ``against`` at ``ngram`` words (changes when any file changes)."""
    files = [[str(Path(f).resolve()), file_sha256(f)] for f in eval_files(against)]
    settings = {
        "version": INDEX_VERSION,
        "ngram": ngram,
        "norm": dataclasses.asdict(NORM_CONFIG),
        "hash": str(HASH_CONFIG),
    }
    return json_sha256({"files": files, **settings})


def ensure_index(
    against: Sequence[str | Path], cache_dir: str | Path, ngram: int = DEFAULT_NGRAM
) -> BuiltIndex:
    """The cached index of ``against`` in ``cache_dir``, built now if it is missing.

    Usage: ``built = ensure_index([glue, squad], out / ".decontam", ngram=13)``
    """
    if ngram < 1:
        raise DecontaminationError(f"--ngram must be >= 1, got {ngram}")
    key = index_key(against, ngram)
    cache_dir = Path(cache_dir)
    path, meta = cache_dir / f"index-{key[:16]}.npz", cache_dir / f"index-{key[:16]}.json"
    if path.is_file() and meta.is_file():
        return BuiltIndex(path, key, json.loads(meta.read_text(encoding="utf-8")), reused=True)
    start = time.perf_counter()
    sets = load_eval_sets(against)
    index = NgramIndex.build(((s.task, s.n_examples, s.units) for s in sets), n=ngram)
    with atomic_path(path) as tmp:
        index.save(tmp)
    summary = {
        "key": key,
        "ngram": ngram,
        "entries": len(index),
        "bytes": index.nbytes,
        "file_bytes": path.stat().st_size,
        "build_seconds": round(time.perf_counter() - start, 3),
        "tasks": {s.task: _task_summary(s, index) for s in sets},
        "files": [str(f) for f in eval_files(against)],
    }
    write_json_atomic(meta, summary)
    return BuiltIndex(path, key, summary, reused=False)


def _task_summary(es: Any, index: NgramIndex) -> dict[str, Any]:
    """Examples of a task and how many of them have at least one n-gram (the ones that can be detected)."""
    t = index.tasks.index(es.task)
    lo, hi = int(index.task_start[t]), int(index.task_start[t] + index.task_examples[t])
    inside = (index.first >= lo) & (index.first < hi)
    covered = set()
    for first, count in {
        (int(f), int(c)) for f, c in zip(index.first[inside], index.count[inside], strict=True)
    }:
        covered.update(range(first, first + count))
    return {"examples": es.n_examples, "indexable_examples": len(covered), "entries": int(inside.sum())}
