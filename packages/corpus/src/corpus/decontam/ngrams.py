"""Normalised word n-grams, hashed, and the sorted in-memory index that answers "does this n-gram occur in
an evaluation example, and which?".

Normalisation is datatrove's own (``datatrove.utils.text.simplify_text`` with its default ``TextNormConfig``:
lowercase, punctuation to spaces, digits to ``0``, diacritics dropped, whitespace collapsed), then words are
split on spaces, and each n-gram (default 13 words, GPT-3's choice) is hashed with datatrove's 64-bit xxhash of
the space-joined words (UTF-8): the same function on both sides, so an evaluation text and a corpus copy that differ
only in case, punctuation or spacing give the same hashes.

The index keeps 16 bytes per distinct (n-gram, example range) entry in three numpy arrays (no Python objects
per n-gram, unlike datatrove's dict-based ``NGramsDecontFilter``), so its memory is bounded by the evaluation
data, not the corpus, and is reported as ``nbytes``.

Usage: ``idx = NgramIndex.build(tasks, n=13)``; ``hits = idx.lookup(ngram_hashes("some text", 13))``
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from datatrove.utils.hashing import HashConfig, create_hash_func
from datatrove.utils.text import TextNormConfig, simplify_text

DEFAULT_NGRAM = 13
NORM_CONFIG = TextNormConfig()  # datatrove's defaults, recorded in the index key
HASH_CONFIG = HashConfig(precision=64, hash_fc="xxhash")
_hash = create_hash_func(HASH_CONFIG, bytes)  # the xxhash binding takes bytes: n-grams are UTF-8 encoded


def normalise(text: str) -> list[str]:
    """The normalised words of ``text`` (the same on evaluation and corpus side).

    Usage: ``normalise("Hello,   WORLD!") == ["hello", "world"]``
    """
    return simplify_text(text, NORM_CONFIG).split()


def ngrams(words: Sequence[str], n: int) -> list[str]:
    """The space-joined ``n``-word windows of ``words`` (none when there are fewer than ``n`` words)."""
    return [" ".join(words[i : i + n]) for i in range(len(words) - n + 1)]


def ngram_hashes(text: str, n: int = DEFAULT_NGRAM) -> np.ndarray:
    """uint64 hashes of every normalised ``n``-gram of ``text``, in text order.

    Usage: ``h = ngram_hashes(doc.text, 13)``
    """
    return hash_ngrams(ngrams(normalise(text), n))


def hash_ngrams(grams: Sequence[str]) -> np.ndarray:
    """uint64 hashes (datatrove's xxhash64) of space-joined n-grams, in order."""
    return np.fromiter((_hash(g.encode("utf-8")) for g in grams), dtype=np.uint64, count=len(grams))


@dataclass(frozen=True)
class Unit:
    """Text pieces of an evaluation set that stand for examples ``first .. first+count-1`` of their task
    (a SQuAD paragraph stands for all its questions; most units are one example)."""

    texts: tuple[str, ...]
    first: int
    count: int = 1


@dataclass
class NgramIndex:
    """Sorted n-gram hashes, each with the global example range it belongs to, plus the task table.

    Global example id = ``task_start[t]`` + the example's number within task ``t``.
    """

    n: int
    hashes: np.ndarray  # uint64, sorted
    first: np.ndarray  # uint32, global id of the first example of the entry's unit
    count: np.ndarray  # uint32, examples in that unit
    tasks: list[str]
    task_start: np.ndarray  # int64, global id of each task's first example
    task_examples: np.ndarray  # int64, examples per task

    @classmethod
    def build(cls, tasks: Iterable[tuple[str, int, Iterable[Unit]]], n: int = DEFAULT_NGRAM) -> NgramIndex:
        """Index ``(task name, example count, units)`` triples; ``n`` words per n-gram."""
        names, starts, sizes, parts = [], [], [], []
        offset = 0
        for name, n_examples, units in tasks:
            names.append(name)
            starts.append(offset)
            sizes.append(n_examples)
            for unit in units:
                h = np.unique(
                    np.concatenate([ngram_hashes(t, n) for t in unit.texts] or [np.empty(0, np.uint64)])
                )
                parts.append((h, offset + unit.first, unit.count))
            offset += n_examples
        hashes, first, count = _entries(parts)
        return cls(n, hashes, first, count, names, np.array(starts, np.int64), np.array(sizes, np.int64))

    @property
    def nbytes(self) -> int:
        """Bytes held by the entry arrays (what a filter task keeps in memory)."""
        return int(self.hashes.nbytes + self.first.nbytes + self.count.nbytes)

    def __len__(self) -> int:
        return int(self.hashes.size)

    def lookup(self, query: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For uint64 ``query`` hashes: (positions in ``query`` that hit, index entry ranges ``[lo, hi)``)."""
        lo = np.searchsorted(self.hashes, query, side="left")
        hi = np.searchsorted(self.hashes, query, side="right")
        hit = np.nonzero(hi > lo)[0]
        return hit, np.stack([lo[hit], hi[hit]], axis=1)

    def task_of(self, example: int) -> str:
        """The task that global example id ``example`` belongs to."""
        return self.tasks[int(np.searchsorted(self.task_start, example, side="right")) - 1]

    def save(self, path: Path) -> None:
        """Write the index as one ``.npz`` (the caller renames it into place)."""
        with open(path, "wb") as f:
            np.savez(
                f,
                n=np.array(self.n),
                hashes=self.hashes,
                first=self.first,
                count=self.count,
                tasks=np.array(self.tasks, dtype=str),
                task_start=self.task_start,
                task_examples=self.task_examples,
            )

    @classmethod
    def load(cls, path: str | Path) -> NgramIndex:
        """Read an index written by ``save``."""
        with np.load(path) as z:
            return cls(
                int(z["n"]),
                z["hashes"],
                z["first"],
                z["count"],
                [str(t) for t in z["tasks"]],
                z["task_start"],
                z["task_examples"],
            )


def _entries(parts: list[tuple[np.ndarray, int, int]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Concatenate per-unit hashes into arrays sorted by hash (ties by example)."""
    if not parts:
        return np.empty(0, np.uint64), np.empty(0, np.uint32), np.empty(0, np.uint32)
    hashes = np.concatenate([h for h, _, _ in parts])
    first = np.concatenate([np.full(h.size, f, np.uint32) for h, f, _ in parts])
    count = np.concatenate([np.full(h.size, c, np.uint32) for h, _, c in parts])
    order = np.lexsort((first, hashes))
    return hashes[order], first[order], count[order]
