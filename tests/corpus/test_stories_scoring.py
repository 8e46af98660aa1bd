"""Stories: WSC query parsing, the weighted n-gram F1 score (hand-checked), streaming top-fraction selection."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from corpus.errors import CorpusError
from corpus.stories import select as select_mod
from corpus.stories.queries import QueryError, load_queries, load_wsc
from corpus.stories.scoring import NgramOverlapScorer, words
from corpus.stories.select import plan_selection, save_plan
from corpus.stories.steps import SCORE_KEY, TopFractionFilter
from datatrove.data import Document


def test_wsc273_questions(sample_data):
    qs = load_queries(sample_data / "wsc" / "WSCollection.xml")
    assert len(qs) == 273
    assert len(load_wsc(sample_data / "wsc" / "WSCollection.xml", limit=None)) == 285
    assert qs[0] == "The city councilmen refused the demonstrators a permit because they feared violence."
    assert qs[2] == "The trophy doesn't fit into the brown suitcase because it is too large."


def test_text_queries_and_errors(tmp_path):
    path = tmp_path / "q.txt"
    path.write_text("Who fed the cat?\n\n  Why   did it rain? \n")
    assert load_queries(path) == ["Who fed the cat?", "Why did it rain?"]
    (tmp_path / "empty.txt").write_text("\n \n")
    with pytest.raises(QueryError, match="no questions"):
        load_queries(tmp_path / "empty.txt")
    with pytest.raises(QueryError, match="not found"):
        load_queries(tmp_path / "missing.txt")


def test_words():
    assert words("The trophy doesn't FIT, it's 2 big!") == [
        "the",
        "trophy",
        "doesn't",
        "fit",
        "it's",
        "2",
        "big",
    ]


# Hand-checked. Query "the cat sat": 1-grams {the,cat,sat}, 2-grams {the cat, cat sat}, 3-gram {the cat sat}.
# "the cat ran": O1=2 of 3/3 -> F1=2/3; O2=1 of 2/2 -> 1/2; O3=0; no 4-grams -> (1*2/3 + 2*1/2) / 10 = 1/6.
# "the the the cat": clipped O1 = min(3,1)+min(1,1) = 2, P=2/4, R=2/3 -> F1=4/7; 2-grams {the the x2, the cat}:
#   O2=1, P=1/3, R=1/2 -> F1=2/5; O3=0 -> (4/7 + 2*2/5) / 10 = 0.137142857...
# "the cat sat" itself: F1_1 = F1_2 = F1_3 = 1, no 4-grams -> (1+2+3)/10 = 0.6.
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("the cat ran", 1 / 6),
        ("The the THE cat.", (4 / 7 + 2 * 2 / 5) / 10),
        ("the cat sat", 0.6),
        ("dogs bark loudly", 0.0),
        ("", 0.0),
    ],
)
def test_hand_checked_scores(text, expected):
    assert NgramOverlapScorer(["the cat sat"]).score(text) == pytest.approx(expected, abs=1e-12)


def test_ngrams_never_span_two_questions():
    scorer = NgramOverlapScorer(["a b", "c d"])
    assert scorer.f1s("b c")[1] == 0.0  # "b c" joins the end of one question to the start of the next
    assert scorer.f1s("a b")[1] == pytest.approx(2 * 1.0 * 0.5 / 1.5)  # O2=1, P=1/1, R=1/2


def test_more_overlap_scores_higher(sample_data):
    scorer = NgramOverlapScorer(load_queries(sample_data / "wsc" / "WSCollection.xml"))
    story = "The trophy doesn't fit into the brown suitcase because it is too large, so she packed a bag."
    news = "Shares of the company rose three percent in early trading on Tuesday after quarterly results."
    assert scorer.score(story) > scorer.score(news) > 0


def _scores_dir(tmp_path, scores_per_task):
    d = tmp_path / "scores"
    d.mkdir()
    for rank, scores in enumerate(scores_per_task):
        np.save(d / f"{rank:05d}.scores.npy", np.asarray(scores, dtype=np.float64))
    return d


def _select(tmp_path, scores_per_task, fraction):
    """Plan from the score files, then run each task's TopFractionFilter over its documents."""
    plan = plan_selection(_scores_dir(tmp_path, scores_per_task), fraction)
    save_plan(plan, tmp_path / "plan.json")
    kept = set()
    for rank, scores in enumerate(scores_per_task):
        docs = (Document(text="t", id=f"{rank}-{j}", metadata={SCORE_KEY: s}) for j, s in enumerate(scores))
        kept |= {d.id for d in TopFractionFilter(tmp_path / "plan.json").run(docs, rank=rank)}
    return plan, kept


def _reference(scores_per_task, fraction):
    flat = [(s, i, j) for i, ss in enumerate(scores_per_task) for j, s in enumerate(ss)]
    k = math.ceil(fraction * len(flat) - 1e-9)
    # the obvious in-memory way: sort everything, highest first, ties in (task, position) order
    return {f"{i}-{j}" for _, i, j in sorted(flat, key=lambda t: (-t[0], t[1], t[2]))[:k]}


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("fraction", [0.001, 0.1, 0.37, 1.0])
def test_streaming_selection_matches_sorting(tmp_path, monkeypatch, seed, fraction):
    monkeypatch.setattr(select_mod, "CHUNK", 7)  # many chunks per file: the streaming path, not one read
    rng = random.Random(seed)
    # coarse scores so that ties at the threshold are common; some tasks have no document at all
    tasks = [[rng.randint(0, 9) / 10 for _ in range(rng.randint(0, 40))] for _ in range(5)]
    plan, kept = _select(tmp_path, tasks, fraction)
    assert kept == _reference(tasks, fraction)
    assert len(kept) == plan.keep == math.ceil(fraction * sum(map(len, tasks)) - 1e-9)


def test_heap_holds_only_k_scores(tmp_path, monkeypatch):
    """Memory is O(k): the heap never grows past k however many scores stream by."""
    sizes = []
    real_push = select_mod.heapq.heappush
    monkeypatch.setattr(select_mod.heapq, "heappush", lambda h, v: (real_push(h, v), sizes.append(len(h))))
    rng = np.random.default_rng(0)
    _scores_dir(tmp_path, [rng.random(5000), rng.random(5000)])
    plan = plan_selection(tmp_path / "scores", 0.001)
    assert plan.keep == 10 and max(sizes) == 10
    assert (
        plan.threshold
        == np.sort(np.concatenate([np.load(p) for p in sorted((tmp_path / "scores").iterdir())]))[-10]
    )


def test_selection_checks_its_inputs(tmp_path):
    d = _scores_dir(tmp_path, [[0.5, 0.1]])
    with pytest.raises(CorpusError, match="top-fraction"):
        plan_selection(d, 0.0)
    empty = plan_selection(tmp_path / "nothing", 0.5)
    assert empty.keep == 0 and empty.threshold is None
