"""Stories document score: weighted n-gram F1 overlap with the query questions (Trinh & Le 2018, §5).

For n = 1..4 let Q_n be the multiset of word n-grams of all questions together and D_n that of the document.
With clipped overlap O_n = sum_g min(D_n[g], Q_n[g]):

    P_n = O_n / |D_n|,  R_n = O_n / |Q_n|,  F1_n = 2 P_n R_n / (P_n + R_n)   (0 when O_n = 0)
    score = sum_n n * F1_n / sum_n n          (= (F1_1 + 2 F1_2 + 3 F1_3 + 4 F1_4) / 10)

Longer n-grams weigh more because they signal a shared phrase, not just shared vocabulary. Words are
lower-cased ``\\w+`` runs (apostrophe contractions kept whole: "doesn't"). The paper keeps the top 0.1%.

Usage: ``scorer = NgramOverlapScorer(questions); s = scorer.score(text)``
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

WORD = re.compile(r"\w+(?:'\w+)*")
MAX_N = 4


def words(text: str) -> list[str]:
    """Lower-cased word tokens."""
    return WORD.findall(text.lower())


def ngrams(tokens: Sequence[str], n: int) -> Counter[tuple[str, ...]]:
    """Multiset of the ``n``-grams of ``tokens``."""
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def f1(overlap: int, n_doc: int, n_query: int) -> float:
    """F1 of a clipped n-gram overlap given both sides' n-gram totals."""
    if overlap == 0 or n_doc == 0 or n_query == 0:
        return 0.0
    p, r = overlap / n_doc, overlap / n_query
    return 2 * p * r / (p + r)


class NgramOverlapScorer:
    """Score texts against a fixed set of questions; n-gram tables of the questions are built once."""

    def __init__(self, questions: Sequence[str], max_n: int = MAX_N) -> None:
        self.max_n = max_n
        self.query: list[Counter[tuple[str, ...]]] = [Counter() for _ in range(max_n)]
        for q in questions:
            toks = words(q)  # n-grams never span two questions
            for n in range(1, max_n + 1):
                self.query[n - 1].update(ngrams(toks, n))
        self.query_totals = [sum(c.values()) for c in self.query]

    def f1s(self, text: str) -> list[float]:
        """``[F1_1, ..., F1_max_n]`` of ``text``."""
        toks = words(text)
        out = []
        for n in range(1, self.max_n + 1):
            doc = ngrams(toks, n)
            q = self.query[n - 1]
            overlap = sum(min(c, q[g]) for g, c in doc.items() if g in q)
            out.append(f1(overlap, max(len(toks) - n + 1, 0), self.query_totals[n - 1]))
        return out

    def score(self, text: str) -> float:
        """Weighted F1: ``sum(n * F1_n) / sum(n)``."""
        fs = self.f1s(text)
        return sum((n + 1) * f for n, f in enumerate(fs)) / sum(range(1, self.max_n + 1))
