"""The contamination report: per evaluation task, how many of its examples share an n-gram with the corpus
and how many corpus documents were hit (the two numbers a reader of a paper wants), plus the index size.

``decontamination.json`` is the machine-readable report; ``decontamination.md`` is ``contamination_table``'s
markdown. ``ContaminationReport`` is the one-task datatrove step that merges the filter tasks' ``hits/*.json``
into both, so the report also comes out of a Slurm chain.

Usage: ``print(contamination_table(json.loads(Path("out/decontamination.json").read_text())))``
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from common import atomic_path, write_json_atomic
from datatrove.pipeline.base import PipelineStep

from corpus.decontam.errors import DecontaminationError

REPORT_JSON, REPORT_MD = "decontamination.json", "decontamination.md"


def read_hits(folder: str | Path, tasks: int) -> list[dict[str, Any]]:
    """The ``tasks`` per-rank findings in ``folder``; an error names the first one missing."""
    out = []
    for rank in range(tasks):
        path = Path(folder) / f"{rank:05d}.json"
        if not path.is_file():
            raise DecontaminationError(f"decontamination task {rank} left no findings ({path})")
        out.append(json.loads(path.read_text(encoding="utf-8")))
    return out


def build_report(
    index_summary: dict[str, Any], hits: list[dict[str, Any]], *, mark_only: bool
) -> dict[str, Any]:
    """Merge per-rank findings with the index summary into the report dict (see ``contamination_table``)."""
    docs_hit: dict[str, int] = defaultdict(int)
    examples: dict[str, set[int]] = defaultdict(set)
    for h in hits:
        for task, n in h["docs_hit"].items():
            docs_hit[task] += n
        for task, ids in h["examples_hit"].items():
            examples[task].update(ids)
    tasks = {}
    for task, info in index_summary["tasks"].items():
        n = info["examples"]
        tasks[task] = {
            **info,
            "examples_hit": len(examples[task]),
            "examples_hit_pct": round(100 * len(examples[task]) / n, 2) if n else 0.0,
            "docs_hit": docs_hit[task],
        }
    contaminated = sum(h["documents_contaminated"] for h in hits)
    return {
        "ngram": index_summary["ngram"],
        "mark_only": mark_only,
        "documents": sum(h["documents"] for h in hits),
        "documents_contaminated": contaminated,
        "documents_dropped": 0 if mark_only else contaminated,
        "index": {k: index_summary[k] for k in ("key", "entries", "bytes", "file_bytes", "build_seconds")},
        "eval_files": len(index_summary["files"]),
        "tasks": tasks,
    }


def contamination_table(report: dict[str, Any]) -> str:
    """The report as markdown: one row per task, then the totals and the index size.

    Usage: ``Path("table.md").write_text(contamination_table(report))``
    """
    n = report["ngram"]
    lines = [
        f"| task | examples | with a {n}-gram | examples hit | % hit | corpus docs hit |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for task, t in report["tasks"].items():
        lines.append(
            f"| {task} | {t['examples']:,} | {t['indexable_examples']:,} | {t['examples_hit']:,} "
            f"| {t['examples_hit_pct']:.2f} | {t['docs_hit']:,} |"
        )
    idx = report["index"]
    action = "marked" if report["mark_only"] else "dropped"
    lines += [
        "",
        f"Corpus documents: {report['documents']:,}; contaminated ({action}): {report['documents_contaminated']:,}.",
        f"Index: {idx['entries']:,} {n}-gram entries, {idx['bytes']:,} bytes in memory "
        f"({idx['file_bytes']:,} on disk), built in {idx['build_seconds']} s from {report['eval_files']:,} files.",
    ]
    if "seconds" in report:
        lines.append(f"Decontamination wall time: {report['seconds']} s.")
    return "\n".join(lines) + "\n"


def write_report(output: str | Path, report: dict[str, Any]) -> Path:
    """Write ``decontamination.json`` and ``decontamination.md`` into ``output`` atomically; return the JSON path."""
    output = Path(output)
    write_json_atomic(output / REPORT_JSON, report)
    with atomic_path(output / REPORT_MD) as tmp:
        tmp.write_text(contamination_table(report), encoding="utf-8")
    return output / REPORT_JSON


class ContaminationReport(PipelineStep):
    """One task: merge ``hits/*.json`` of ``tasks`` filter tasks with the index summary into the report files."""

    type = "📊 - STATS"
    name = "🦠 contamination report"

    def __init__(
        self,
        hits_folder: str | Path,
        index_summary: dict[str, Any],
        output: str | Path,
        *,
        tasks: int,
        mark_only: bool,
    ) -> None:
        super().__init__()
        self.hits_folder, self.output = str(hits_folder), str(output)
        self.index_summary, self.tasks, self.mark_only = index_summary, tasks, mark_only

    def run(self, data: Any = None, rank: int = 0, world_size: int = 1) -> Any:
        yield from data or ()
        report = build_report(
            self.index_summary, read_hits(self.hits_folder, self.tasks), mark_only=self.mark_only
        )
        write_report(self.output, report)
        self.stat_update("documents_contaminated", value=report["documents_contaminated"])
