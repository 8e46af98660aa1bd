"""GLUE metric functions vs obvious hand-written formulas and scikit-learn/scipy on fixed predictions."""

from __future__ import annotations

import math

import numpy as np
import pytest
from benchmarks.tasks.glue_metrics import HEADLINE, glue_metrics
from scipy.stats import pearsonr, spearmanr
from sklearn.metrics import f1_score, matthews_corrcoef

PREDS = [1, 0, 1, 1, 0, 1, 0, 0, 1, 1]
LABELS = [1, 0, 0, 1, 0, 1, 1, 0, 1, 0]


def _counts(p, y):
    tp = sum(a == 1 and b == 1 for a, b in zip(p, y, strict=True))
    tn = sum(a == 0 and b == 0 for a, b in zip(p, y, strict=True))
    fp = sum(a == 1 and b == 0 for a, b in zip(p, y, strict=True))
    fn = sum(a == 0 and b == 1 for a, b in zip(p, y, strict=True))
    return tp, tn, fp, fn


def test_mcc_matches_formula_and_sklearn():
    tp, tn, fp, fn = _counts(PREDS, LABELS)  # 4, 3, 2, 1: acc 0.7
    ref = (tp * tn - fp * fn) / math.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
    got = glue_metrics("cola", {"dev": (PREDS, LABELS)})["mcc"]
    assert got == pytest.approx(ref, abs=1e-12)
    assert got == pytest.approx(matthews_corrcoef(LABELS, PREDS), abs=1e-12)
    assert glue_metrics("cola", {"dev": ([1] * 10, LABELS)})["mcc"] == 0.0  # constant predictor


@pytest.mark.parametrize("task", ["mrpc", "qqp"])
def test_acc_f1_match_formula_and_sklearn(task):
    tp, tn, fp, fn = _counts(PREDS, LABELS)
    m = glue_metrics(task, {"dev": (PREDS, LABELS)})
    assert m["acc"] == pytest.approx((tp + tn) / len(PREDS))
    assert m["f1"] == pytest.approx(2 * tp / (2 * tp + fp + fn))
    assert m["f1"] == pytest.approx(f1_score(LABELS, PREDS))


def test_pearson_spearman_match_numpy_and_scipy():
    rng = np.random.default_rng(0)
    gold = rng.uniform(0, 5, 50)
    pred = gold + rng.normal(0, 1.0, 50)
    m = glue_metrics("stsb", {"dev": (pred.tolist(), gold.tolist())})
    assert m["pearson"] == pytest.approx(np.corrcoef(pred, gold)[0, 1], abs=1e-12)
    ranks = lambda a: np.argsort(np.argsort(a))  # noqa: E731  (no ties in continuous draws)
    assert m["spearman"] == pytest.approx(np.corrcoef(ranks(pred), ranks(gold))[0, 1], abs=1e-12)
    assert m["pearson"] == pytest.approx(pearsonr(pred, gold)[0]) and m["spearman"] == pytest.approx(
        spearmanr(pred, gold)[0]
    )
    assert glue_metrics("stsb", {"dev": ([2.0] * 50, gold.tolist())}) == {"pearson": 0.0, "spearman": 0.0}


def test_mnli_matched_and_mismatched_and_headlines():
    m = glue_metrics("mnli", {"m": ([0, 1, 2, 2], [0, 1, 2, 0]), "mm": ([0, 0], [0, 1])})
    assert m == {"acc_m": 0.75, "acc_mm": 0.5}
    for task in ("sst2", "qnli", "rte", "wnli"):
        assert glue_metrics(task, {"dev": (PREDS, LABELS)}) == {"acc": 0.7}
    assert set(HEADLINE) == {"cola", "sst2", "mrpc", "stsb", "qqp", "mnli", "qnli", "rte", "wnli"}
