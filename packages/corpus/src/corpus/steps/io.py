"""Intermediate and final storage steps.

``RankJsonlReader`` re-reads exactly the intermediate file a given task wrote (``{rank:05d}.jsonl.gz``), so the
document indices that datatrove's dedup signatures refer to stay aligned even when some tasks wrote nothing.
``CorpusShardWriter`` writes the corpus contract (``corpus.formats.write_shard``: zstd JSONL, atomic rename),
one shard per task, so a killed task leaves no partial shard and its re-run replaces, never duplicates.

Usage: ``[RankJsonlReader(work / "extracted"), CorpusShardWriter(out, source="cc-news")]``
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from datatrove.data import Document, DocumentsPipeline
from datatrove.pipeline.base import PipelineStep

from corpus.formats import write_shard

OPTIONAL_FIELDS = ("title", "author", "publish_date")


def intermediate_name(rank: int) -> str:
    """File name datatrove's ``JsonlWriter(output_filename="${rank}.jsonl.gz")`` gives task ``rank``."""
    return f"{rank:05d}.jsonl.gz"


class RankJsonlReader(PipelineStep):
    """Read task ``rank``'s own intermediate file from ``folder`` (missing file: the task had no documents)."""

    type = "📖 - READER"
    name = "📒 task's intermediate jsonl"

    def __init__(self, folder: str | Path) -> None:
        super().__init__()
        self.folder = str(folder)

    def run(self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        from datatrove.pipeline.readers import JsonlReader

        if data:
            yield from data
        name = intermediate_name(rank)
        if not (Path(self.folder) / name).is_file():
            return
        reader = JsonlReader(self.folder)
        for doc in reader.read_file(name):
            self.stat_update("documents")
            yield doc


def document_to_record(doc: Document, source: str) -> dict[str, Any]:
    """Map a datatrove Document to a corpus-contract record (id, text, url, date, source [+ optional])."""
    meta = doc.metadata
    rec: dict[str, Any] = {
        "id": str(doc.id),
        "text": doc.text,
        "url": str(meta.get("url") or ""),
        "date": str(meta.get("date") or ""),
        "source": source,
    }
    for key in OPTIONAL_FIELDS:
        if meta.get(key):
            rec[key] = str(meta[key])
    return rec


class CorpusShardWriter(PipelineStep):
    """Write this task's documents to ``{output}/{prefix}-{rank:05d}.jsonl.zst`` atomically (a terminal step)."""

    type = "💽 - WRITER"
    name = "🗜 corpus shard (zstd jsonl)"

    def __init__(self, output_folder: str | Path, *, source: str, prefix: str = "part") -> None:
        super().__init__()
        self.output_folder = Path(output_folder)
        self.source = source
        self.prefix = prefix

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        def records() -> Any:
            for doc in data or ():
                rec = document_to_record(doc, self.source)
                self.stat_update("documents_written")
                self.stat_update("bytes_out", value=len(rec["text"].encode("utf-8")), unit="doc")
                yield rec

        write_shard(self.output_folder / f"{self.prefix}-{rank:05d}.jsonl.zst", records())
        yield from ()  # terminal step: documents end here (holding them to pass on would cost memory)
