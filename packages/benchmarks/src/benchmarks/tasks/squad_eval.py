"""SQuAD scoring exactly as the official ``evaluate-v1.1.py`` and ``evaluate-v2.0.py`` scripts do it.

Both normalise an answer by lower-casing, dropping ASCII punctuation, dropping the articles a/an/the and
collapsing whitespace; F1 is over the bag of normalised tokens; a question scores the max over its gold answers.
Differences kept on purpose: v1.1 counts a question without a prediction as 0 and scores an empty prediction
F1 0; v2.0 skips questions without a prediction, treats a question whose gold answers normalise to nothing as
unanswerable (gold ``""``) and scores empty vs empty as 1, and adds HasAns_/NoAns_ breakdowns.
Scores are percentages, as the scripts print them.

Usage: ``squad_v2_scores(dataset["data"], {"qid": "answer text", ...})`` -> ``{"exact": ..., "f1": ...}``
"""

from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Iterator, Mapping
from typing import Any

_PUNCT = set(string.punctuation)
_ARTICLES = re.compile(r"\b(a|an|the)\b", re.UNICODE)


def normalize_answer(s: str) -> str:
    """Lower text and remove punctuation, articles and extra whitespace (the scripts' order of steps)."""
    s = s.lower()
    s = "".join(ch for ch in s if ch not in _PUNCT)
    s = _ARTICLES.sub(" ", s)
    return " ".join(s.split())


def _qas(dataset: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for article in dataset:
        for paragraph in article["paragraphs"]:
            yield from paragraph["qas"]


def f1_v1(prediction: str, ground_truth: str) -> float:
    """v1.1 token F1: no common token (including two empty strings) scores 0."""
    pred, gold = normalize_answer(prediction).split(), normalize_answer(ground_truth).split()
    num_same = sum((Counter(pred) & Counter(gold)).values())
    if num_same == 0:
        return 0.0
    precision, recall = num_same / len(pred), num_same / len(gold)
    return (2 * precision * recall) / (precision + recall)


def squad_v1_scores(dataset: list[dict[str, Any]], predictions: Mapping[str, str]) -> dict[str, float]:
    """``{"exact_match", "f1"}`` over every question of ``dataset`` (``data`` of the JSON), as evaluate-v1.1."""
    em = f1 = 0.0
    total = 0
    for qa in _qas(dataset):
        total += 1
        if qa["id"] not in predictions:  # the script prints "Unanswered question ... will receive score 0"
            continue
        golds = [a["text"] for a in qa["answers"]]
        pred = predictions[qa["id"]]
        em += max(float(normalize_answer(pred) == normalize_answer(g)) for g in golds)
        f1 += max(f1_v1(pred, g) for g in golds)
    return {"exact_match": 100.0 * em / total, "f1": 100.0 * f1 / total}


def _tokens(s: str) -> list[str]:
    return normalize_answer(s).split() if s else []


def f1_v2(a_gold: str, a_pred: str) -> float:
    """v2.0 token F1: if either side is empty, 1 when both are, else 0."""
    gold, pred = _tokens(a_gold), _tokens(a_pred)
    if not gold or not pred:
        return float(gold == pred)
    num_same = sum((Counter(gold) & Counter(pred)).values())
    if num_same == 0:
        return 0.0
    precision, recall = num_same / len(pred), num_same / len(gold)
    return (2 * precision * recall) / (precision + recall)


def squad_v2_scores(dataset: list[dict[str, Any]], predictions: Mapping[str, str]) -> dict[str, float]:
    """``exact``, ``f1``, ``total`` and HasAns_/NoAns_ breakdowns, as evaluate-v2.0 with its default threshold."""
    exact: dict[str, float] = {}
    f1: dict[str, float] = {}
    has_ans: dict[str, bool] = {}
    for qa in _qas(dataset):
        qid = qa["id"]
        has_ans[qid] = bool(qa["answers"])
        golds = [a["text"] for a in qa["answers"] if normalize_answer(a["text"])] or [""]
        if qid not in predictions:  # the script prints "Missing prediction for ..." and skips it
            continue
        pred = predictions[qid]
        exact[qid] = max(float(normalize_answer(g) == normalize_answer(pred)) for g in golds)
        f1[qid] = max(f1_v2(g, pred) for g in golds)
    out = _summary(exact, f1, list(exact))
    for prefix, want in (("HasAns", True), ("NoAns", False)):
        qids = [q for q, v in has_ans.items() if v is want and q in exact]
        if qids:
            out.update({f"{prefix}_{k}": v for k, v in _summary(exact, f1, qids).items()})
    return out


def _summary(exact: dict[str, float], f1: dict[str, float], qids: list[str]) -> dict[str, float]:
    n = len(qids)
    if n == 0:
        return {"exact": 0.0, "f1": 0.0, "total": 0}
    return {
        "exact": 100.0 * sum(exact[q] for q in qids) / n,
        "f1": 100.0 * sum(f1[q] for q in qids) / n,
        "total": n,
    }
