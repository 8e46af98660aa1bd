"""Datatrove steps of the Stories build: score each document, record the scores, keep the top fraction.

Score pass (one stage): ``... -> StoriesScorer -> ScoreRecorder -> intermediate writer``. ``ScoreRecorder``
passes documents through unchanged and, when its task ends, writes their scores in order to
``{scores_dir}/{rank:05d}.scores.npy`` (8 bytes a document), the only input of the threshold search.
Select pass: ``RankJsonlReader -> TopFractionFilter(plan) -> CorpusShardWriter``.

Usage: ``[*document_steps(...), StoriesScorer(questions), ScoreRecorder(work / "scores"), writer]``
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from common import atomic_path
from datatrove.data import DocumentsPipeline
from datatrove.pipeline.base import PipelineStep

from corpus.stories.scoring import NgramOverlapScorer

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


class ScoreRecorder(PipelineStep):
    """Pass documents through; at the task's end write their scores, in order, to ``{rank:05d}.scores.npy``."""

    name = "📝 Stories score recorder"
    type = "📊 - STATS"

    def __init__(self, scores_dir: str | Path) -> None:
        super().__init__()
        self.scores_dir = Path(scores_dir)

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        scores: list[float] = []
        for doc in data:
            scores.append(float(doc.metadata[SCORE_KEY]))
            yield doc
        # a killed task is re-run whole by datatrove (completion is marked at its end), rewriting this file
        with atomic_path(self.scores_dir / f"{rank:05d}.scores.npy") as tmp, open(tmp, "wb") as f:
            np.save(f, np.asarray(scores, dtype=np.float64))


class TopFractionFilter(PipelineStep):
    """Keep documents scoring above the plan's threshold, plus this task's share of those exactly at it."""

    name = "🏆 Stories top fraction"
    type = "🔻 - FILTER"

    def __init__(self, plan_path: str | Path) -> None:
        super().__init__()
        self.plan_path = str(plan_path)

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        plan = json.loads(Path(self.plan_path).read_text(encoding="utf-8"))
        threshold = plan["threshold"] if plan["threshold"] is not None else float("inf")
        ties = int(plan["ties"].get(str(rank), 0))
        for doc in data:
            self.stat_update("total")
            score = float(doc.metadata[SCORE_KEY])
            if score > threshold or (score == threshold and ties > 0):
                ties -= score == threshold
                self.stat_update("forwarded")
                yield doc
            else:
                self.stat_update("dropped_below_top_fraction")


class SelectionPlanner(PipelineStep):
    """The threshold search as a one-task stage of its own (``plan_selection`` over every task's score file,
    saved for ``TopFractionFilter``), so a cluster chain can run it between the score and select stages."""

    name = "📐 Stories selection plan"
    type = "🔻 - FILTER"

    def __init__(self, scores_dir: str | Path, fraction: float, plan_path: str | Path) -> None:
        super().__init__()
        self.scores_dir, self.fraction, self.plan_path = str(scores_dir), fraction, str(plan_path)

    def run(self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        from corpus.stories.select import plan_selection, save_plan

        save_plan(plan_selection(self.scores_dir, self.fraction), self.plan_path)
        yield from ()
