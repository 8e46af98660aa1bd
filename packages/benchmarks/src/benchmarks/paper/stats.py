"""Statistics of ``bench paper``: mean ± standard deviation of every row over pretraining seeds, and for every
comparison the paper makes a paired difference over seeds with a 95% t confidence interval and a verdict.

Every row of a table is pretrained with the same seeds, so a comparison pairs the variant's and the baseline's
number seed by seed (the seed fixes the data order and initialisation of both): ``d_s = variant_s -
baseline_s``. The 95% interval is ``mean(d) ± t(0.975, n-1) · sd(d)/√n`` (``scipy.stats.t``; the paired t-test
``scipy.stats.ttest_rel`` gives its p-value). The verdict compares the interval with the paper's difference
(the same two rows of the published table, same column):

- "same direction as the paper": the interval excludes 0 on the side of the paper's difference;
- "opposite": the interval excludes 0 on the other side;
- "not resolved at this scale": the interval holds 0 (or fewer than 2 paired seeds, or no paper difference).

Usage: ``c = compare([84.1, 84.5, 84.0], [84.9, 85.0, 84.6], paper_diff=0.4)``; ``c["verdict"]``
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from typing import Any

SAME, OPPOSITE, UNRESOLVED = "same direction as the paper", "opposite", "not resolved at this scale"
LEVEL = 0.95

# (table, baseline row key, variant row key): the comparisons the paper draws in §4-5
COMPARISONS: dict[str, tuple[tuple[str, str], ...]] = {
    "1": (("static", "dynamic"),),
    "2": (
        ("segment-pair", "sentence-pair"),
        ("segment-pair", "full-sentences"),
        ("segment-pair", "doc-sentences"),
    ),
    "3": (("bsz256", "bsz2k"), ("bsz256", "bsz8k")),
    "4": (
        ("data1x-100k", "data10x-100k"),
        ("data10x-100k", "data10x-300k"),
        ("data10x-300k", "data10x-500k"),
    ),
    "enc": (("char-bpe", "byte-bpe"),),
}


def mean_std(values: Sequence[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (0 for a single value)."""
    vals = list(values)
    return statistics.fmean(vals), (statistics.stdev(vals) if len(vals) > 1 else 0.0)


def verdict(low: float, high: float, paper_diff: float | None) -> str:
    """The verdict of a confidence interval [low, high] for the paper's difference ``paper_diff``."""
    if paper_diff is None or paper_diff == 0 or math.isnan(low) or math.isnan(high) or low <= 0 <= high:
        return UNRESOLVED
    return SAME if (low > 0) == (paper_diff > 0) else OPPOSITE


def compare(baseline: Sequence[float], variant: Sequence[float], paper_diff: float | None) -> dict[str, Any]:
    """Paired difference ``variant - baseline`` over seeds: mean, sd, n, 95% CI, p-value and the verdict."""
    from scipy import stats

    if len(baseline) != len(variant):
        raise ValueError(f"paired comparison needs equal seed counts, got {len(baseline)} and {len(variant)}")
    diffs = [v - b for b, v in zip(baseline, variant, strict=True)]
    n = len(diffs)
    mean, sd = mean_std(diffs) if diffs else (math.nan, math.nan)
    if n >= 2 and sd > 0:
        half = float(stats.t.ppf(0.5 + LEVEL / 2, n - 1)) * sd / math.sqrt(n)
        p = float(stats.ttest_rel(variant, baseline).pvalue)
    elif n >= 2:  # every seed moved by exactly the same amount: no spread to doubt it
        half, p = 0.0, (1.0 if mean == 0 else 0.0)
    else:
        half, p = math.nan, math.nan
    low, high = mean - half, mean + half
    return {
        "diff": mean,
        "sd": sd,
        "n": n,
        "ci": [low, high],
        "p": p,
        "paper_diff": paper_diff,
        "verdict": verdict(low, high, paper_diff),
    }


def _paper_diff(base: dict[str, Any], var: dict[str, Any], column: str) -> float | None:
    b, v = base["paper"].get(column), var["paper"].get(column)
    return None if b is None or v is None else round(v - b, 6)


def _measures(row: dict[str, Any]) -> dict[str, list[float]]:
    """Per-seed numbers of a row: held-out ``ppl`` and each finetuning task's score, in seed order."""
    out: dict[str, list[float]] = {
        "ppl": [s["valid_ppl"] for s in row["seeds"] if s["valid_ppl"] is not None]
    }
    for task in sorted({t for s in row["seeds"] for t in s["scores"]}):
        out[task] = [s["scores"][task]["score"] for s in row["seeds"] if task in s["scores"]]
    return out


def comparisons(table: str, rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every paper comparison of ``table`` on every measure both rows have (ppl and finetuning scores)."""
    by_key = {r["key"]: r for r in rows}
    out = []
    for base_key, var_key in COMPARISONS.get(table, ()):
        if base_key not in by_key or var_key not in by_key:
            continue
        base, var = by_key[base_key], by_key[var_key]
        mb, mv = _measures(base), _measures(var)
        for measure in mb:
            if measure not in mv or len(mb[measure]) != len(mv[measure]) or not mb[measure]:
                continue
            c = compare(mb[measure], mv[measure], _paper_diff(base, var, measure))
            out.append({"baseline": base["label"], "variant": var["label"], "measure": measure, **c})
    return out


def aggregate(seed_records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """A row's mean ± sd over its pretraining seeds: ``valid_ppl``/``valid_ppl_sd`` and per-task scores."""
    ppl = [s["valid_ppl"] for s in seed_records if s["valid_ppl"] is not None]
    mean, sd = mean_std(ppl) if ppl else (None, None)
    scores = {}
    for task in sorted({t for s in seed_records for t in s["scores"]}):
        vals = [s["scores"][task]["score"] for s in seed_records if task in s["scores"]]
        m, d = mean_std(vals)
        scores[task] = {
            "score": m,
            "sd": d,
            "per_seed": vals,
            "metric": seed_records[0]["scores"][task]["metric"],
        }
    return {"valid_ppl": mean, "valid_ppl_sd": sd, "scores": scores}
