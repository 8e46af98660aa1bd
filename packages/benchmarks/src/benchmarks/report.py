"""``bench report``: our medians beside the paper's numbers as a markdown table, plus a PNG bar chart.

Paper numbers (percent) are ``benchmarks.paper.spec.PAPER_SCORES`` (Tables 5-8; no BASE numbers for SQuAD,
RACE or WNLI). Our GLUE/RACE scores are fractions and are shown as percents; SQuAD's already are.

Usage: ``print(report([Path("results/")], png=Path("results/report.png")))``
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from pathlib import Path

from benchmarks.errors import BenchError
from benchmarks.paper.spec import PAPER_SCORES as PAPER
from benchmarks.results import BenchResult, read_result

ORDER = [
    "mnli",
    "qnli",
    "qqp",
    "rte",
    "sst2",
    "mrpc",
    "cola",
    "stsb",
    "wnli",
    "wsc273",
    "squad1.1",
    "squad2.0",
    "race",
]
PERCENT_ALREADY = ("squad1.1", "squad2.0")  # the official SQuAD scripts report percents


def collect(paths: Sequence[Path]) -> list[BenchResult]:
    """Read result files, expanding folders to their ``*.json`` results (cell records are skipped)."""
    files: list[Path] = []
    for p in paths:
        if p.is_dir():
            files += sorted(p.glob("*.json"))
        elif p.is_file():
            files.append(p)
        else:
            raise BenchError(f"no result file or folder at {p}")
    if not files:
        raise BenchError(f"no result JSON files in {', '.join(map(str, paths))}")
    results = [read_result(f) for f in files]
    return sorted(
        results, key=lambda r: (ORDER.index(r.task) if r.task in ORDER else len(ORDER), r.checkpoint)
    )


def rows(results: Sequence[BenchResult]) -> list[dict]:
    """One row per (result, official metric): our median over seeds (percent) and the paper's numbers."""
    out = []
    for r in results:
        names = (
            [m for m in r.metrics[0] if not m.startswith(("dev_", "HasAns", "NoAns"))]
            if r.metrics
            else [r.metric]
        )
        for name in sorted(names, key=lambda m: (m != r.metric, m)):
            values = [m[name] for m in r.metrics] if r.metrics else r.per_seed
            scale = 1.0 if r.task in PERCENT_ALREADY else 100.0
            out.append(
                {
                    "task": r.task,
                    "metric": name,
                    "ours": scale * statistics.median(values),
                    "seeds": len(values),
                    "base": PAPER["base"].get((r.task, name)),
                    "large": PAPER["large"].get((r.task, name)),
                    "checkpoint": Path(r.checkpoint).name,
                }
            )
    return out


def markdown(table: list[dict], size: str) -> str:
    """The markdown table; Δ is ours minus the paper's ``size`` number."""
    fmt = lambda v: "—" if v is None else f"{v:.1f}"  # noqa: E731
    lines = [
        "| task | metric | checkpoint | ours (median) | seeds | paper BASE | paper LARGE | Δ vs "
        + size
        + " |",
        "|---|---|---|---:|---:|---:|---:|---:|",
    ]
    for r in table:
        delta = None if r[size] is None else r["ours"] - r[size]
        lines.append(
            f"| {r['task']} | {r['metric']} | {r['checkpoint']} | {r['ours']:.1f} | {r['seeds']} | "
            f"{fmt(r['base'])} | {fmt(r['large'])} | {'—' if delta is None else f'{delta:+.1f}'} |"
        )
    return "\n".join(lines)


def bar_chart(table: list[dict], size: str, png: Path) -> Path:
    """Grouped bars (ours vs the paper's ``size`` column) per task/metric, written atomically."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    from common import atomic_path

    labels = [f"{r['task']}\n{r['metric']}" for r in table]
    x = np.arange(len(table))
    fig, ax = plt.subplots(figsize=(max(6.0, 0.9 * len(table) + 2), 4.5))
    ax.bar(x - 0.2, [r["ours"] for r in table], 0.4, label="ours (median over seeds)")
    ax.bar(
        x + 0.2,
        [r[size] if r[size] is not None else 0.0 for r in table],
        0.4,
        label=f"paper RoBERTa-{size.upper()}",
        color="tab:gray",
    )
    ax.set_xticks(x, labels, fontsize=8)
    ax.set_ylabel("score (%)")
    ax.set_ylim(min(0.0, min(r["ours"] for r in table) - 5), 100)
    ax.set_title("Finetuning results beside the paper (missing paper value: no bar)")
    ax.legend(loc="best")
    fig.tight_layout()
    with atomic_path(png) as tmp:
        fig.savefig(tmp, format="png", dpi=120)
    plt.close(fig)
    return png


def report(paths: Sequence[Path], *, png: Path | None = None, size: str = "large") -> str:
    """Markdown table of every result beside the paper, and the bar chart (default: ``report.png`` beside)."""
    if size not in PAPER:
        raise BenchError(f"--size must be base or large, got {size!r}")
    results = collect(paths)
    table = rows(results)
    first = Path(paths[0])
    png = png or (first if first.is_dir() else first.parent) / "report.png"
    bar_chart(table, size, png)
    return markdown(table, size) + f"\n\nchart: {png}"
