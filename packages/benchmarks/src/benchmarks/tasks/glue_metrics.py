"""Official GLUE metrics, computed with scikit-learn and scipy (what the GLUE leaderboard uses).

Each task has a headline metric (the number in the paper's Tables 5 and 8) and its full list of official metrics:
CoLA Matthews corr.; SST-2, QNLI, RTE, WNLI accuracy; MRPC and QQP accuracy and F1 (of the positive class);
STS-B Pearson and Spearman; MNLI accuracy on matched and mismatched dev.

Usage: ``glue_metrics("mrpc", {"dev": (preds, labels)})`` -> ``{"acc": 0.9, "f1": 0.93}``
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

HEADLINE: dict[str, str] = {
    "cola": "mcc",
    "sst2": "acc",
    "mrpc": "acc",
    "stsb": "pearson",
    "qqp": "acc",
    "mnli": "acc_m",
    "qnli": "acc",
    "rte": "acc",
    "wnli": "acc",
}

Split = tuple[Sequence[float], Sequence[float]]


def accuracy(preds: Sequence[float], labels: Sequence[float]) -> float:
    """Fraction of exact matches."""
    from sklearn.metrics import accuracy_score

    return float(accuracy_score(labels, preds))


def f1_positive(preds: Sequence[float], labels: Sequence[float]) -> float:
    """F1 of the positive class (label 1), as GLUE reports for MRPC and QQP."""
    from sklearn.metrics import f1_score

    return float(f1_score(labels, preds, pos_label=1, zero_division=0.0))


def matthews(preds: Sequence[float], labels: Sequence[float]) -> float:
    """Matthews correlation coefficient (CoLA); 0 when a side is constant, as scikit-learn defines it."""
    from sklearn.metrics import matthews_corrcoef

    return float(matthews_corrcoef(labels, preds))


def pearson_spearman(preds: Sequence[float], labels: Sequence[float]) -> tuple[float, float]:
    """Pearson and Spearman correlations (STS-B); NaN (constant predictions) is reported as 0."""
    from scipy.stats import pearsonr, spearmanr

    p, s = np.asarray(preds, dtype=np.float64), np.asarray(labels, dtype=np.float64)
    if np.ptp(p) == 0 or np.ptp(s) == 0:  # correlation undefined; a constant predictor earns nothing
        return 0.0, 0.0
    return float(pearsonr(p, s)[0]), float(spearmanr(p, s)[0])


def glue_metrics(task: str, splits: Mapping[str, Split]) -> dict[str, float]:
    """All official metrics of ``task`` from ``{dev split: (predictions, labels)}``.

    MNLI expects the splits ``m`` and ``mm``; every other task one split (any name).
    """
    if task == "mnli":
        return {"acc_m": accuracy(*splits["m"]), "acc_mm": accuracy(*splits["mm"])}
    ((preds, labels),) = splits.values()
    if task == "cola":
        return {"mcc": matthews(preds, labels)}
    if task == "stsb":
        pearson, spearman = pearson_spearman(preds, labels)
        return {"pearson": pearson, "spearman": spearman}
    if task in ("mrpc", "qqp"):
        return {"acc": accuracy(preds, labels), "f1": f1_positive(preds, labels)}
    if task in HEADLINE:
        return {"acc": accuracy(preds, labels)}
    raise KeyError(task)
