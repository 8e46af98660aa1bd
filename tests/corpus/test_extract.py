"""Extraction: metadata, the article-focus fast path against trafilatura's full-page path, the bench metric."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from corpus.bench_data import load_article_benchmark, page_tp_fp_fn, prf, shingles
from corpus.errors import CorpusError
from corpus.steps.extract import ExtractConfig, extract_article
from hypothesis import given
from hypothesis import strategies as st


@pytest.fixture(scope="module")
def pages(sample_data: Path) -> list[dict]:
    return load_article_benchmark(sample_data / "article_extraction_benchmark")[:12]


def test_extract_article_text_and_metadata(pages: list[dict]) -> None:
    arts = [extract_article(p["html"], p["url"]) for p in pages]
    assert all(a and len(a["text"]) > 200 for a in arts)
    assert sum(bool(a["title"]) for a in arts) >= 11
    assert sum(bool(a["author"]) for a in arts) >= 4 and sum(bool(a["publish_date"]) for a in arts) >= 6
    assert all(len(a["publish_date"]) == 10 for a in arts if a["publish_date"])


def test_focus_path_matches_full_page_path(pages: list[dict]) -> None:
    """The fast path (one <article> subtree) against the obvious one (whole page): same text quality."""
    fast, slow = ExtractConfig(), ExtractConfig(focus_article=False)
    f = prf([page_tp_fp_fn(p["truth"], extract_article(p["html"], p["url"], fast)["text"]) for p in pages])
    s = prf([page_tp_fp_fn(p["truth"], extract_article(p["html"], p["url"], slow)["text"]) for p in pages])
    assert f["f1"] >= s["f1"] - 0.01


def test_empty_and_broken_html() -> None:
    assert extract_article("") is None
    assert extract_article("<html><body><div></div></body></html>") is None
    with pytest.raises(CorpusError, match="unknown extractor"):
        ExtractConfig(extractor="goose")


def test_size_bound_cuts_the_page() -> None:
    paras = "".join(
        f"<p>Paragraph {i} tells part {i * 7} of a long story about the weather, the river and the city hall.</p>"
        for i in range(400)
    )
    html = "<html><body><article>" + paras + "</article></body></html>"
    full = extract_article(html)["text"]
    cut = extract_article(html, config=ExtractConfig(max_html_chars=len(html) // 4))["text"]
    assert len(cut) < len(full) / 2


def _reference_prf(true: str, pred: str, n: int) -> tuple[float, float, float]:
    """Upstream's definition written out with plain loops (the slow obvious reference)."""
    import re

    def grams(t: str) -> list:
        toks = re.findall(r"\w+", t)
        return [tuple(toks[i : i + n]) for i in range(max(1, len(toks) - n + 1)) if toks[i : i + n]]

    tc, pc = Counter(grams(true)), Counter(grams(pred))
    tp = fp = fn = 0.0
    for key in set(tc) | set(pc):
        tp += min(tc[key], pc[key])
        fp += max(0, pc[key] - tc[key])
        fn += max(0, tc[key] - pc[key])
    s = tp + fp + fn
    return (tp / s, fp / s, fn / s) if s else (0.0, 0.0, 0.0)


words = st.lists(st.sampled_from(["a", "b", "c", "news", "city", "x1"]), max_size=30).map(" ".join)


@given(true=words, pred=words, n=st.integers(1, 4))
def test_metric_matches_reference(true: str, pred: str, n: int) -> None:
    assert page_tp_fp_fn(true, pred, n) == pytest.approx(_reference_prf(true, pred, n))


def test_metric_extremes() -> None:
    assert page_tp_fp_fn("the quick brown fox jumps", "the quick brown fox jumps") == (1.0, 0.0, 0.0)
    assert prf([(1.0, 0.0, 0.0), (0.5, 0.5, 0.0)])["precision"] == pytest.approx(0.75)
    assert shingles("a b", 4) == Counter({("a", "b"): 1})


@pytest.mark.slow  # news-please needs its extra and takes ~0.5 s a page
def test_news_please_extractor(pages: list[dict]) -> None:
    pytest.importorskip("newsplease")
    cfg = ExtractConfig(extractor="news-please")
    arts = [extract_article(p["html"], p["url"], cfg) for p in pages[:4]]
    assert all(a and a["text"] and a["title"] for a in arts)
    assert prf([page_tp_fp_fn(p["truth"], a["text"]) for p, a in zip(pages, arts, strict=False)])["f1"] > 0.8
