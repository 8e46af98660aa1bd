"""What ``corpus report`` shows, gathered from build folders: one pass over each folder's shards (documents,
words and bytes per source and per month, a length histogram, domains) plus what the build recorded in
``stats.json`` (drops per filter and reason, duplicates removed per stage) and ``decontamination.json``.

Words are whitespace-separated tokens (what a reader can recount); BPE tokens come from a token manifest
when the folder has one (``corpus.mix.read_token_total``). Memory is bounded by the number of sources,
months and domains, not documents.

Usage: ``rep = collect_report(["out/ccnews", "out/stories"]); rep.total_docs``
"""

from __future__ import annotations

import json
import math
import os
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tqdm import tqdm

from corpus.formats import STATS_FILE, CorpusFormatError, list_shards, read_shard
from corpus.mix import MixRow, read_token_total

LENGTH_EDGES = (0, 50, 100, 200, 300, 500, 750, 1000, 1500, 2000, 3000, 5000, 10000, math.inf)  # words
DEDUP_KINDS = ("url", "text", "near")
DECONTAM_FILE = "decontamination.json"  # = corpus.decontam.REPORT_JSON (no numpy/datatrove import here)
_MONTH = re.compile(r"^(\d{4}-\d{2})")


def length_bin(words: int) -> int:
    """Index of the ``LENGTH_EDGES`` bin ``[lo, hi)`` holding a document of ``words`` words."""
    return next(i for i in range(len(LENGTH_EDGES) - 1) if words < LENGTH_EDGES[i + 1])


def domain_of(url: str) -> str:
    """The host of ``url``, lowercased, without ``www.`` (``""`` when there is none)."""
    host = (urlsplit(url).hostname or "").lower()
    return host[4:] if host.startswith("www.") else host


@dataclass
class SourceCounts:
    """Documents, words and bytes of text of one source (or one source in one month)."""

    docs: int = 0
    words: int = 0
    text_bytes: int = 0

    def add(self, words: int, text_bytes: int) -> None:
        """Count one document."""
        self.docs += 1
        self.words += words
        self.text_bytes += text_bytes

    def merge(self, other: SourceCounts) -> None:
        """Add another folder's counts."""
        self.docs, self.words = self.docs + other.docs, self.words + other.words
        self.text_bytes += other.text_bytes


@dataclass
class DropRow:
    """Documents a build dropped at one step for one reason (from ``stats.json``)."""

    stage: str
    step: str
    reason: str
    docs: int


@dataclass(kw_only=True)
class FolderReport:
    """Everything the report knows about one folder."""

    folder: str
    sources: dict[str, SourceCounts] = field(default_factory=dict)
    months: dict[tuple[str, str], SourceCounts] = field(default_factory=dict)  # (month, source)
    lengths: dict[str, list[int]] = field(default_factory=dict)  # source -> counts per LENGTH_EDGES bin
    domains: Counter[str] = field(default_factory=Counter)
    tokens: int | None = None
    stats: dict[str, Any] | None = None
    decontamination: dict[str, Any] | None = None

    @property
    def name(self) -> str:
        """The folder's last path component (how tables name it)."""
        return Path(self.folder).name or self.folder

    def drops(self) -> list[DropRow]:
        """Drops per stage, filter step and reason recorded in ``stats.json`` (dedup filters excluded)."""
        if not self.stats:
            return []
        rows = []
        for stage, steps in self.stats.get("stages", {}).items():
            for step, labels in steps.items():
                if "dedup" in step.lower() or "minhash" in step.lower():
                    continue  # duplicates: see ``duplicates()``
                for label, value in labels.items():
                    if label.startswith("dropped_") and value:
                        rows.append(DropRow(stage, clean_step_name(step), label[8:], int(value)))
        return sorted(rows, key=lambda r: (-r.docs, r.stage, r.step, r.reason))

    def duplicates(self) -> dict[str, int]:
        """Duplicates removed per dedup stage (url, text, near), from ``stats.json``."""
        recorded = (self.stats or {}).get("duplicates_removed", {})
        return {k: int(recorded.get(k, 0)) for k in DEDUP_KINDS}


def clean_step_name(name: str) -> str:
    """``"🔻 - FILTER: 🌍 language"`` -> ``"language"`` (datatrove's step names carry a type and emoji)."""
    tail = name.split(":", 1)[1] if ":" in name else name
    return re.sub(r"[^\w\s./()-]", "", tail).strip() or name


def _scan_shards(rep: FolderReport, shards: list[Path]) -> None:
    bins = len(LENGTH_EDGES) - 1
    for shard in tqdm(shards, desc=f"report {rep.name}", unit="shard", leave=False):
        for doc in read_shard(shard, validate=False):
            text = str(doc.get("text", ""))
            source = str(doc.get("source") or rep.name)
            words, size = len(text.split()), len(text.encode("utf-8"))
            m = _MONTH.match(str(doc.get("date") or ""))
            rep.sources.setdefault(source, SourceCounts()).add(words, size)
            rep.months.setdefault((m.group(1) if m else "unknown", source), SourceCounts()).add(words, size)
            rep.lengths.setdefault(source, [0] * bins)[length_bin(words)] += 1
            rep.domains[domain_of(str(doc.get("url") or "")) or "(no url)"] += 1


def _read_json(path: Path) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError:
        raise CorpusFormatError(f"{path}: not valid JSON") from None


def collect_folder(folder: str | os.PathLike[str]) -> FolderReport:
    """Scan one build (or decontaminated) folder; a folder without shards is a ``CorpusFormatError``."""
    path = Path(folder)
    if not path.is_dir():
        raise CorpusFormatError(f"no such folder: {folder}")
    shards = list_shards(path)
    if not shards:
        raise CorpusFormatError(f"{folder}: no *.jsonl.zst corpus shards")
    rep = FolderReport(folder=str(folder), tokens=read_token_total(path))
    rep.stats = _read_json(path / STATS_FILE)
    rep.decontamination = _read_json(path / DECONTAM_FILE)
    _scan_shards(rep, shards)
    return rep


@dataclass
class CorpusReport:
    """The report over several folders, with the totals the tables and plots need."""

    folders: list[FolderReport]

    @property
    def total_docs(self) -> int:
        """Documents over every folder."""
        return sum(c.docs for f in self.folders for c in f.sources.values())

    @property
    def total_words(self) -> int:
        """Whitespace words over every folder."""
        return sum(c.words for f in self.folders for c in f.sources.values())

    def mix(self) -> list[MixRow]:
        """``corpus stats``'s rows (per source: documents, bytes of text, tokens), largest first."""
        rows: dict[str, MixRow] = {}
        for f in self.folders:
            for source, c in f.sources.items():
                row = rows.setdefault(source, MixRow(source=source))
                row.docs += c.docs
                row.text_bytes += c.text_bytes
                row.folders.append(f.folder)
                if f.tokens is not None and len(f.sources) == 1:
                    row.tokens = (row.tokens or 0) + f.tokens
        return sorted(rows.values(), key=lambda r: (-r.text_bytes, r.source))

    def words_by_source(self) -> dict[str, int]:
        """Whitespace words per source over every folder."""
        out: Counter[str] = Counter()
        for f in self.folders:
            for source, c in f.sources.items():
                out[source] += c.words
        return dict(out)

    def months(self) -> dict[tuple[str, str], SourceCounts]:
        """(month, source) -> counts over every folder, sorted by month then source."""
        out: dict[tuple[str, str], SourceCounts] = {}
        for f in self.folders:
            for key, c in f.months.items():
                out.setdefault(key, SourceCounts()).merge(c)
        return dict(sorted(out.items()))

    def lengths(self) -> dict[str, list[int]]:
        """source -> documents per ``LENGTH_EDGES`` bin, over every folder."""
        out: dict[str, list[int]] = {}
        for f in self.folders:
            for source, counts in f.lengths.items():
                acc = out.setdefault(source, [0] * len(counts))
                out[source] = [a + b for a, b in zip(acc, counts, strict=True)]
        return out

    def domains(self, top: int = 20) -> list[tuple[str, int]]:
        """The ``top`` domains by documents over every folder."""
        total: Counter[str] = Counter()
        for f in self.folders:
            total.update(f.domains)
        return sorted(total.items(), key=lambda kv: (-kv[1], kv[0]))[:top]


def collect_report(folders: Iterable[str | os.PathLike[str]]) -> CorpusReport:
    """Scan every folder (shards once each) into a ``CorpusReport``.

    Usage: ``print(render_markdown(collect_report(["out/ccnews"])))``
    """
    return CorpusReport([collect_folder(f) for f in folders])
