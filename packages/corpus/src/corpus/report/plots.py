"""The corpus report's pictures (matplotlib, Agg): the mix table, documents per month, length histograms,
drops per reason, duplicates per stage, top domains and the contamination per evaluation task.

Usage: ``pngs = write_pngs(collect_report(["out/ccnews"]), Path("report"))`` -> ``{"mix": .../mix_table.png, ...}``
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from common import atomic_path

from corpus.mix import format_mix
from corpus.report.collect import LENGTH_EDGES, CorpusReport
from corpus.report.render import bin_label


def _save(fig: Any, path: Path) -> Path:
    import matplotlib.pyplot as plt

    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return path


def _figure(width: float = 8, height: float = 4.5) -> tuple[Any, Any]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=(width, height))


def mix_table(rep: CorpusReport, path: Path) -> Path:
    """``corpus stats``'s table (source, documents, text, tokens, share) as a picture."""
    lines = format_mix(rep.mix()).splitlines()
    fig, ax = _figure(8, 0.4 + 0.3 * len(lines))
    ax.axis("off")
    ax.text(0, 1, "\n".join(lines), family="monospace", fontsize=10, va="top", transform=ax.transAxes)
    ax.set_title("Corpus mix", loc="left")
    return _save(fig, path)


def months(rep: CorpusReport, path: Path) -> Path:
    """Documents per month, stacked by source."""
    data = rep.months()
    labels = sorted({m for m, _ in data})
    fig, ax = _figure(max(6.0, 0.35 * len(labels) + 2))
    bottom = [0] * len(labels)
    for source in sorted({s for _, s in data}):
        counts = [data[(m, source)].docs if (m, source) in data else 0 for m in labels]
        ax.bar(labels, counts, bottom=bottom, label=source)
        bottom = [b + c for b, c in zip(bottom, counts, strict=True)]
    ax.set_ylabel("documents")
    ax.set_title("Documents per month")
    ax.tick_params(axis="x", rotation=70)
    ax.legend()
    return _save(fig, path)


def lengths(rep: CorpusReport, path: Path) -> Path:
    """Histogram of words per document, one bar group per source (bins of ``LENGTH_EDGES``)."""
    data = rep.lengths()
    bins = len(LENGTH_EDGES) - 1
    fig, ax = _figure(9)
    width = 0.8 / max(1, len(data))
    for k, (source, counts) in enumerate(sorted(data.items())):
        total = sum(counts) or 1
        ax.bar([i + k * width for i in range(bins)], [100 * c / total for c in counts], width, label=source)
    ax.set_xticks(
        [i + 0.4 - width / 2 for i in range(bins)], [bin_label(i) for i in range(bins)], rotation=45
    )
    ax.set_xlabel("words per document")
    ax.set_ylabel("% of the source's documents")
    ax.set_title("Document length")
    ax.legend()
    return _save(fig, path)


def _barh(labels: list[str], values: list[int], title: str, xlabel: str, path: Path) -> Path:
    fig, ax = _figure(8, 0.6 + 0.3 * max(1, len(labels)))
    ax.barh(labels[::-1], values[::-1])
    for y, v in enumerate(values[::-1]):
        ax.text(v, y, f" {v:,}", va="center", fontsize=8)
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    return _save(fig, path)


def drops(rep: CorpusReport, path: Path) -> Path:
    """Documents dropped per (build, filter, reason), from the builds' ``stats.json``."""
    rows = [(f"{f.name}: {d.step} / {d.reason}", d.docs) for f in rep.folders for d in f.drops()]
    rows = rows or [("(no stats.json)", 0)]
    return _barh([r[0] for r in rows], [r[1] for r in rows], "Drops per filter and reason", "documents", path)


def duplicates(rep: CorpusReport, path: Path) -> Path:
    """Duplicates removed per stage (url, text, near), one bar group per build."""
    fig, ax = _figure(7)
    builds = [f for f in rep.folders if f.stats]
    width = 0.8 / max(1, len(builds))
    for k, f in enumerate(builds):
        dup = f.duplicates()
        ax.bar([i + k * width for i in range(len(dup))], list(dup.values()), width, label=f.name)
    ax.set_xticks([i + 0.4 - width / 2 for i in range(3)], ["url (exact)", "text (exact)", "near (MinHash)"])
    ax.set_ylabel("documents removed")
    ax.set_title("Duplicates removed per stage")
    if builds:
        ax.legend()
    return _save(fig, path)


def domains(rep: CorpusReport, path: Path) -> Path:
    """The top 20 domains by documents."""
    top = rep.domains()
    return _barh([d for d, _ in top], [c for _, c in top], "Top domains", "documents", path)


def contamination(rep: CorpusReport, path: Path) -> Path:
    """Per evaluation task: % of its examples with an n-gram in the corpus (bars), corpus docs hit (labels)."""
    rows = [
        (f"{t} ({f.name})" if len(rep.folders) > 1 else t, info["examples_hit_pct"], info["docs_hit"])
        for f in rep.folders
        if f.decontamination
        for t, info in f.decontamination["tasks"].items()
    ]
    fig, ax = _figure(8, 0.6 + 0.28 * max(1, len(rows)))
    ax.barh([r[0] for r in rows][::-1], [r[1] for r in rows][::-1])
    for y, (_, pct, docs) in enumerate(rows[::-1]):
        ax.text(pct, y, f" {pct:.2f}% of examples, {docs:,} docs", va="center", fontsize=8)
    ax.set_xlabel("% of the task's examples sharing an n-gram with the corpus")
    ax.set_title("Contamination per evaluation task" if rows else "Contamination: no decontamination.json")
    return _save(fig, path)


PLOTS = {
    "mix": ("mix_table.png", mix_table),
    "months": ("docs_per_month.png", months),
    "lengths": ("length_histogram.png", lengths),
    "drops": ("drops.png", drops),
    "duplicates": ("duplicates.png", duplicates),
    "domains": ("top_domains.png", domains),
    "contamination": ("contamination.png", contamination),
}


def write_pngs(rep: CorpusReport, folder: str | Path) -> dict[str, Path]:
    """Every plot of ``PLOTS`` into ``folder`` (created); section key -> PNG path."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    return {key: fn(rep, folder / name) for key, (name, fn) in PLOTS.items()}
