"""Assemble a build's ``stats.json`` from datatrove's per-task stats files (``logs/<stage>/stats/*.json``).

Counts: WARC records read, HTML pages, skips per reason, drops per reason (date window, extraction, language,
length, quality, ``contaminated:<task>``), duplicates removed per kind (url, text, near), documents kept,
bytes in/out. Reading the per-task files (not a run's merged summary) keeps the totals right after a resumed
run. With decontamination (stages ``decontaminate-<key>``), ``kept`` and ``bytes_out`` are those of the
decontaminated shards, ``kept_before_decontamination`` the build's own; stages of another index key (a run
superseded by changed evaluation files) are left out.

Usage: ``stats = collect_stats(out / "_work" / "logs")``
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

_DEDUP_STAGES = {"exact-url-filter": "url", "exact-text-filter": "text", "write-shards": "near"}
_DIRECT = (
    "records_read",
    "html_pages",
    "html_truncated",
    "bytes_in",
    "documents_written",
    "bytes_out",
    "task_cpu_s",
)


def _total(value: Any) -> float:
    """datatrove stores a metric as a bare number or as ``{"total": ..., "n": ..., ...}``."""
    return value.get("total", 0) if isinstance(value, dict) else (value or 0)


def stage_totals(stage_dir: Path) -> dict[str, dict[str, float]]:
    """``{step name: {label: total}}`` summed over every task's stats file of one stage."""
    out: dict[str, dict[str, float]] = {}
    for f in sorted((stage_dir / "stats").glob("*.json")):
        for step in json.loads(f.read_text()):
            labels = out.setdefault(step["name"], {})
            for label, value in step.get("stats", {}).items():
                labels[label] = labels.get(label, 0) + _total(value)
            labels["time_s"] = round(labels.get("time_s", 0) + _total(step.get("time_stats")), 3)
    return out


DECONTAM_STAGES = ("decontaminate-", "decontamination-report-")  # = corpus.decontam.build.STAGE_PREFIXES


def _decontam_key(stage: str) -> str | None:
    """The index key part of a decontamination stage's name, or None for any other stage."""
    return next((stage[len(p) :] for p in DECONTAM_STAGES if stage.startswith(p)), None)


def collect_stats(logs: str | Path, decontam_key: str | None = None) -> dict[str, Any]:
    """Summarise every stage folder under ``logs`` into the counts ``stats.json`` reports.

    ``decontam_key``: the decontamination stages counted are those of this key (12 hex digits, the
    ``index.key`` of ``decontamination.json``); without it, none are.
    """
    skipped: Counter[str] = Counter()
    dropped: Counter[str] = Counter()
    dups: Counter[str] = Counter()
    direct: Counter[str] = Counter()  # type: ignore[assignment]  # float CPU seconds too
    stages: dict[str, Any] = {}
    for stage_dir in sorted(p for p in Path(logs).iterdir() if p.is_dir()):
        stage = stage_dir.name.split("_", 1)[1]
        key = _decontam_key(stage)
        if key is not None and (decontam_key is None or key != decontam_key[: len(key)]):
            continue
        prefix = "decontam_" if key is not None else ""
        totals = stage_totals(stage_dir)
        stages[stage] = totals
        for step, labels in totals.items():
            is_dedup = stage in _DEDUP_STAGES and ("dedup" in step.lower() or "minhash" in step.lower())
            for label, value in labels.items():
                if is_dedup:
                    if label == "dropped":
                        dups[_DEDUP_STAGES[stage]] += int(value)
                elif label.startswith("skip_"):
                    skipped[label[5:]] += int(value)
                elif label.startswith("dropped_"):
                    dropped[label[8:]] += int(value)
                elif label in _DIRECT:
                    direct[(prefix if label != "task_cpu_s" else "") + label] += value
    decontam = any(_decontam_key(s) for s in stages)
    return {
        "records_read": int(direct["records_read"]),
        "html_pages": int(direct["html_pages"]),
        "html_truncated": int(direct["html_truncated"]),
        "skipped": dict(sorted(skipped.items())),
        "dropped": dict(sorted(dropped.items())),
        "duplicates_removed": dict(sorted(dups.items())),
        "kept": int(direct["decontam_documents_written" if decontam else "documents_written"]),
        **({"kept_before_decontamination": int(direct["documents_written"])} if decontam else {}),
        "bytes_in": int(direct["bytes_in"]),
        "bytes_out": int(direct["decontam_bytes_out" if decontam else "bytes_out"]),
        "cpu_s": round(direct["task_cpu_s"], 3),
        "stages": stages,
    }
