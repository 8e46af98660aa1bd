"""The corpus report as markdown: headline, mix, per month, lengths, drops, duplicates, domains and the
contamination table, each a table a reader can check against the shards; PNG links when plots were made.

Usage: ``print(render_markdown(collect_report(["out/ccnews"]), pngs={"mix": Path("png/mix_table.png")}))``
"""

from __future__ import annotations

import os
from pathlib import Path

from corpus.mix import human_bytes
from corpus.report.collect import LENGTH_EDGES, CorpusReport


def _table(head: list[str], rows: list[list[object]], right: int = 1) -> list[str]:
    """A markdown table; columns from index ``right`` on are right-aligned."""
    align = ["---" if i < right else "---:" for i in range(len(head))]
    out = [f"| {' | '.join(head)} |", f"|{'|'.join(align)}|"]
    out += [f"| {' | '.join(_cell(c) for c in row)} |" for row in rows]
    return out


def _cell(value: object) -> str:
    return f"{value:,}" if isinstance(value, int) else str(value)


def bin_label(i: int) -> str:
    """``"100-199"`` for the bin ``[100, 200)``; the last one is ``"10000+"``."""
    lo, hi = LENGTH_EDGES[i], LENGTH_EDGES[i + 1]
    return f"{lo}+" if hi == float("inf") else f"{lo}-{int(hi) - 1}"


def headline(rep: CorpusReport) -> dict[str, object]:
    """The numbers the report opens with (also what ``--json`` writes)."""
    months = sorted({m for m, _ in rep.months() if m != "unknown"})
    contaminated = [f.decontamination for f in rep.folders if f.decontamination]
    return {
        "folders": [f.folder for f in rep.folders],
        "documents": rep.total_docs,
        "words": rep.total_words,
        "text_bytes": sum(r.text_bytes for r in rep.mix()),
        "sources": sorted(rep.words_by_source()),
        "months": [months[0], months[-1]] if months else [],
        "documents_contaminated": sum(d["documents_contaminated"] for d in contaminated),
        "documents_checked_for_contamination": sum(d["documents"] for d in contaminated),
    }


def _sections(rep: CorpusReport) -> list[tuple[str, str, list[str]]]:
    """(title, png key, lines) per section."""
    words = rep.words_by_source()
    total = sum(r.text_bytes for r in rep.mix()) or 1
    mix = [
        [r.source, r.docs, words[r.source], human_bytes(r.text_bytes), r.tokens if r.tokens is not None else "-",
         f"{100 * r.text_bytes / total:.1f}%"]
        for r in rep.mix()
    ]  # fmt: skip
    head = ["source", "documents", "words", "text", "BPE tokens", "share of text"]
    month_rows = [[m, s, c.docs, c.words] for (m, s), c in rep.months().items()]
    lengths = rep.lengths()
    srcs = sorted(lengths)
    length_rows = [[bin_label(i), *(lengths[s][i] for s in srcs)] for i in range(len(LENGTH_EDGES) - 1)]
    drops = [[f.name, d.stage, d.step, d.reason, d.docs] for f in rep.folders for d in f.drops()]
    dups = [[f.name, *f.duplicates().values(), sum(f.duplicates().values())] for f in rep.folders if f.stats]
    n = rep.total_docs or 1
    domains = [[d, c, f"{100 * c / n:.1f}%"] for d, c in rep.domains()]
    return [
        ("Mix per source", "mix", _table(head, mix)),
        ("Documents and words per month", "months", _table(["month", "source", "documents", "words"], month_rows, 2)),
        ("Document length (words per document)", "lengths", _table(["words", *srcs], length_rows)),
        ("Drops per filter and reason (stats.json)", "drops",
         _table(["build", "stage", "filter", "reason", "documents"], drops, 4) if drops else ["(no stats.json)"]),
        ("Duplicates removed per stage", "duplicates",
         _table(["build", "url", "text", "near", "total"], dups) if dups else ["(no stats.json)"]),
        ("Top domains", "domains", _table(["domain", "documents", "share"], domains)),
    ]  # fmt: skip


def render_markdown(
    rep: CorpusReport, pngs: dict[str, Path] | None = None, relative_to: Path | None = None
) -> str:
    """The whole report; ``pngs`` (section key -> file) are linked, relative to ``relative_to`` if given."""
    from corpus.decontam.report import contamination_table

    pngs = pngs or {}
    h = headline(rep)
    span = " to ".join(h["months"]) if h["months"] else "no dated documents"
    lines = [
        "# Corpus report",
        "",
        f"{h['documents']:,} documents, {h['words']:,} words, {human_bytes(h['text_bytes'])} of text from "
        f"{len(h['sources'])} source(s) ({', '.join(h['sources'])}), {span}; folders: {', '.join(h['folders'])}.",
    ]
    if h["documents_checked_for_contamination"]:
        lines.append(
            f"Decontamination: {h['documents_contaminated']:,} of {h['documents_checked_for_contamination']:,} "
            "documents checked shared an n-gram with an evaluation set."
        )
    for title, key, body in _sections(rep):
        lines += ["", f"## {title}", "", *body, *_image(key, title, pngs, relative_to)]
    lines += ["", "## Contamination", ""]
    reports = [f for f in rep.folders if f.decontamination]
    for f in reports:
        lines += [f"### {f.name}", "", contamination_table(f.decontamination).rstrip("\n"), ""]
    if not reports:
        lines.append("(no decontamination.json: build with --decontaminate or run corpus decontaminate)")
    lines += _image("contamination", "Contamination", pngs, relative_to)
    return "\n".join(lines).rstrip("\n") + "\n"


def _image(key: str, title: str, pngs: dict[str, Path], relative_to: Path | None) -> list[str]:
    if key not in pngs:
        return []
    path = Path(os.path.relpath(pngs[key], relative_to)) if relative_to else pngs[key]
    return ["", f"![{title}]({path.as_posix()})"]
