"""The two extraction benchmarks and their metrics, as ``corpus bench-extract`` scores them.

* ``article_extraction_benchmark`` (91 news pages, human ``articleBody``): upstream evaluate.py's metric. Texts
  are cut into ``\\w+`` tokens, then n-gram shingles (n=4 upstream); per page tp/fp/fn are the multiset
  overlaps normalised to sum to 1; precision and recall are averaged over pages, F1 is their harmonic mean.
* ``trafilatura_eval`` (644 pages, snippets that must / must not be extracted): upstream trafilatura's
  ``tests/eval_common.py`` metric. Output and snippets are whitespace-normalised; a ``with`` snippet found in
  the output is a true positive (else a false negative), a ``without`` snippet found a false positive (else a
  true negative); precision, recall, F1 and accuracy pool all snippets of all pages.

Both loaders return ``[{id, url, html, truth}]`` (``truth``: the body text, or ``{"with", "without",
"title", "author", "date"}``). ``split_half`` is the fixed, seeded tune/confirm split.

Usage: ``pages = load_trafilatura_eval(folder); tune, confirm = split_half(pages); snippet_scores(...)``
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import statistics
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from corpus.errors import CorpusError

_TOKEN_RE = re.compile(r"\w+", re.UNICODE)


def shingles(text: str, n: int = 4) -> Counter:
    """Multiset of ``n``-grams of ``\\w+`` tokens (a text shorter than n is one shingle)."""
    toks = _TOKEN_RE.findall(text or "")
    return Counter(tuple(toks[i : i + n]) for i in range(max(1, len(toks) - n + 1)) if toks[i : i + n])


def page_tp_fp_fn(true: str, pred: str, n: int = 4) -> tuple[float, float, float]:
    """Normalised (tp, fp, fn) of one page's predicted shingles against the true ones."""
    t, p = shingles(true, n), shingles(pred, n)
    tp, fp, fn = sum((t & p).values()), sum((p - t).values()), sum((t - p).values())
    s = tp + fp + fn
    return (tp / s, fp / s, fn / s) if s else (0.0, 0.0, 0.0)


def prf(triples: list[tuple[float, float, float]]) -> dict[str, float]:
    """Mean precision, mean recall and their F1, with upstream's conventions for empty pages."""

    def precision(tp: float, fp: float, fn: float) -> float:
        return 1.0 if fp == fn == 0 else (0.0 if tp == fp == 0 else tp / (tp + fp))

    def recall(tp: float, fp: float, fn: float) -> float:
        return 1.0 if fp == fn == 0 else (0.0 if tp == fn == 0 else tp / (tp + fn))

    p = statistics.mean([precision(*t) for t in triples if t[0] + t[1] > 0] or [0.0])
    r = statistics.mean([recall(*t) for t in triples if t[0] + t[2] > 0] or [0.0])
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0}


def paired_bootstrap(
    a: list, b: list, score: Callable[[list], float], reps: int = 1000, seed: int = 0
) -> tuple[float, float, float]:
    """``(score(a) - score(b), low, high)``: the difference and its 95% interval when the pages are resampled
    with replacement, the same pages for both (paired). Says whether a difference is more than sampling noise.

    Usage: ``paired_bootstrap(counts_ours, counts_plain, lambda c: snippet_scores(c)["f1"])``"""
    import random

    if len(a) != len(b) or not a:
        raise ValueError("paired_bootstrap needs two non-empty lists of the same pages")
    rng, n = random.Random(seed), len(a)
    diffs = []
    for _ in range(reps):
        idx = [rng.randrange(n) for _ in range(n)]
        diffs.append(score([a[i] for i in idx]) - score([b[i] for i in idx]))
    diffs.sort()
    return score(a) - score(b), diffs[int(0.025 * reps)], diffs[min(reps - 1, int(0.975 * reps))]


def _norm(text: str) -> str:
    return " ".join((text or "").split())


def snippet_counts(truth: dict, pred: str) -> tuple[int, int, int, int]:
    """(tp, fn, fp, tn) of one page: must-have snippets found / missed, must-not snippets found / absent."""
    out = _norm(pred)
    found_with = [_norm(s) in out for s in truth["with"] if s]
    found_without = [_norm(s) in out for s in truth["without"] if s]
    return (
        sum(found_with),
        len(found_with) - sum(found_with),
        sum(found_without),
        len(found_without) - sum(found_without),
    )


def snippet_scores(counts: list[tuple[int, int, int, int]]) -> dict[str, float]:
    """Pooled precision, recall, F1 and accuracy over every snippet (upstream's ``calculate_scores``)."""
    tp, fn, fp, tn = (sum(c[i] for c in counts) for i in range(4))
    return {
        "precision": tp / (tp + fp) if tp + fp else 0.0,
        "recall": tp / (tp + fn) if tp + fn else 0.0,
        "f1": 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0,
        "accuracy": (tp + tn) / (tp + tn + fp + fn) if counts else 0.0,
    }


def _read_html(path: Path) -> str:
    from corpus.steps.warc import decode_html

    return decode_html(gzip.decompress(path.read_bytes()), "text/html")


def load_article_benchmark(folder: Path) -> list[dict]:
    """``[{id, url, html, truth}]`` for every ``html/<id>.html.gz`` with a ground-truth ``articleBody``."""
    truth_file = folder / "ground-truth.json"
    if not truth_file.is_file():
        raise CorpusError(f"no ground-truth.json in {folder}")
    truth = json.loads(truth_file.read_text(encoding="utf-8"))
    pages = []
    for f in sorted((folder / "html").glob("*.html.gz")):
        key = f.name.split(".")[0]
        if key in truth:
            url = truth[key].get("url", "")
            pages.append({"id": key, "url": url, "html": _read_html(f), "truth": truth[key]["articleBody"]})
    if not pages:
        raise CorpusError(f"no benchmark pages in {folder}/html")
    return pages


def load_trafilatura_eval(folder: Path) -> list[dict]:
    """``[{id, url, html, truth}]`` for every page of ``evaldata.json`` whose ``html/<file>`` exists."""
    index = folder / "evaldata.json"
    if not index.is_file():
        raise CorpusError(f"no evaldata.json in {folder}")
    data = json.loads(index.read_text(encoding="utf-8"))
    pages = []
    for key in sorted(data):
        item, f = data[key], folder / "html" / data[key]["file"]
        if f.is_file():
            url = key.split("::", 1)[-1] if "://" in key else ""
            pages.append({"id": key, "url": url, "html": _read_html(f), "truth": item})
    if not pages:
        raise CorpusError(f"no benchmark pages in {folder}/html")
    return pages


def split_half(pages: list[dict], seed: str = "tune-v1") -> tuple[list[dict], list[dict]]:
    """A fixed half split by a seeded hash of the page id: (tune, confirm); the same pages on every run."""
    tune, confirm = [], []
    for p in pages:
        h = hashlib.sha256(f"{seed}:{p['id']}".encode()).digest()[0]
        (tune if h % 2 == 0 else confirm).append(p)
    return tune, confirm
