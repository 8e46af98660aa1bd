"""Datatrove steps of the Stories score pass: score each extracted document, then write it with its score.

``ScorePassWriter`` writes task ``rank``'s documents to ``{work}/scored/{rank:05d}.jsonl.zst`` (the corpus
contract, so the pass is inspectable with ``read_documents``) and the same documents' scores, in the same
order, to ``{work}/scored/{rank:05d}.scores.npy``. The threshold pass reads only the small score files.

Usage: ``[..., StoriesScorer(questions), ScorePassWriter(work_dir, source="stories")]``
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from corpus.fileio import atomic_path
from corpus.formats import write_shard
from corpus.stories.scoring import NgramOverlapScorer
from datatrove.data import Document, DocumentsPipeline
from datatrove.pipeline.base import PipelineStep

SCORE_KEY = "stories_score"


class StoriesScorer(PipelineStep):
    """Add ``metadata['stories_score']``: the weighted n-gram F1 of the text against the questions."""

    name = "🎯 Stories n-gram score"
    type = "📊 - STATS"

    def __init__(self, questions: Sequence[str]) -> None:
        super().__init__()
        self.questions = list(questions)

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        scorer = NgramOverlapScorer(self.questions)
        for doc in data:
            with self.track_time():
                doc.metadata[SCORE_KEY] = scorer.score(doc.text)
            self.stat_update("scored")
            yield doc


def to_record(doc: Document, source: str) -> dict[str, Any]:
    """A datatrove Document as a corpus-contract record (``id text url date source`` + ``meta``)."""
    meta = dict(doc.metadata)
    record = {
        "id": str(doc.id),
        "text": doc.text,
        "url": str(meta.pop("url", "")),
        "date": str(meta.pop("date", "")),
        "source": source,
    }
    for key in ("title", "author", "publish_date"):
        if meta.get(key):
            record[key] = str(meta.pop(key))
    record["meta"] = {k: v for k, v in meta.items() if isinstance(v, (str, int, float, bool, type(None)))}
    return record


class ScorePassWriter(PipelineStep):
    """Write scored documents and their scores (aligned, one file pair per task)."""

    name = "💾 Stories score pass writer"
    type = "💽 - WRITER"

    def __init__(self, work_dir: str | Path, source: str = "stories") -> None:
        super().__init__()
        self.scored_dir = Path(work_dir) / "scored"
        self.source = source

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        scores: list[float] = []

        def records() -> Iterator[dict[str, Any]]:
            for doc in data:
                if not doc.text.strip():
                    self.stat_update("dropped_empty")
                    continue
                scores.append(float(doc.metadata[SCORE_KEY]))
                self.stat_update("written")
                yield to_record(doc, self.source)

        # a task killed midway is re-run whole by datatrove (completion is marked at its end), rewriting both
        write_shard(self.scored_dir / f"{rank:05d}.jsonl.zst", records())
        with atomic_path(self.scored_dir / f"{rank:05d}.scores.npy") as tmp, open(tmp, "wb") as f:
            np.save(f, np.asarray(scores, dtype=np.float64))
        return
        yield  # a writer at the end of the pipeline forwards nothing
