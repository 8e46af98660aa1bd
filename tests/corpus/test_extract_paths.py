"""Every extractor path on real pages of both benchmarks, the recall-rescue rule, the snippet metric, and the
size / time bounds on a huge and a pathologically nested page."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from corpus.bench_data import (
    load_article_benchmark,
    load_trafilatura_eval,
    paired_bootstrap,
    snippet_counts,
    snippet_scores,
    split_half,
)
from corpus.steps.extract import (
    ArticleExtractor,
    ExtractConfig,
    ExtractTimeout,
    extract_article,
    needs_rescue,
    rescue_text,
    resiliparse_text,
    time_limit,
)
from datatrove.data import Document

PATHS = [
    ExtractConfig(),  # the default: trafilatura (fast, precision, article focus, pre-clean) + resiliparse rescue
    ExtractConfig(rescue_ratio=0),  # no rescue
    ExtractConfig(
        rescue_ratio=0.5, rescue_with="trafilatura"
    ),  # the previous default: plain trafilatura rescue
    ExtractConfig(focus_article=False),  # whole page, never the <article> shortcut
    ExtractConfig(xpath_twins=False),  # trafilatura's own XPath evaluation instead of the twins
    ExtractConfig(extractor="resiliparse"),
]


@pytest.fixture(scope="module")
def all_eval(sample_data: Path) -> list[dict]:
    return load_trafilatura_eval(sample_data / "trafilatura_eval")


@pytest.fixture(scope="module")
def eval_pages(all_eval: list[dict]) -> list[dict]:
    return [p for p in all_eval if p["truth"].get("title")][:8]


@pytest.fixture(scope="module")
def article_pages(sample_data: Path) -> list[dict]:
    return load_article_benchmark(sample_data / "article_extraction_benchmark")[:6]


@pytest.mark.parametrize("cfg", PATHS)
def test_paths_on_trafilatura_eval_pages(eval_pages: list[dict], cfg: ExtractConfig) -> None:
    arts = [extract_article(p["html"], p["url"], cfg) for p in eval_pages]
    assert all(a and a["text"] for a in arts)
    assert sum(bool(a["title"]) for a in arts) >= 7  # every chosen page is annotated with a title
    counts = [snippet_counts(p["truth"], a["text"]) for p, a in zip(eval_pages, arts, strict=True)]
    assert snippet_scores(counts)["recall"] > 0.7


@pytest.mark.parametrize("cfg", PATHS)
def test_paths_on_article_benchmark_pages(article_pages: list[dict], cfg: ExtractConfig) -> None:
    from corpus.bench_data import page_tp_fp_fn, prf

    arts = [extract_article(p["html"], p["url"], cfg) for p in article_pages]
    assert all(a and len(a["text"]) > 200 and a["title"] for a in arts)
    assert (
        prf([page_tp_fp_fn(p["truth"], a["text"]) for p, a in zip(article_pages, arts, strict=True)])["f1"]
        > 0.85
    )


def test_publish_date_where_the_page_declares_it(all_eval: list[dict]) -> None:
    """Pages annotated with a date whose markup has ``article:published_time``: the default reads that day."""
    pages = [p for p in all_eval if p["truth"].get("date") and "article:published_time" in p["html"]][:10]
    got = [(extract_article(p["html"], p["url"]) or {}).get("publish_date") for p in pages]
    assert (
        len(pages) == 10 and sum(g == p["truth"]["date"][:10] for p, g in zip(pages, got, strict=True)) >= 9
    )


def test_preclean_and_parser_match_plain_trafilatura(all_eval: list[dict]) -> None:
    """Fast path (our parser with a C-level class lookup, elements trafilatura deletes anyway dropped first)
    against the obvious one (trafilatura's own parser and tree, same settings): the same text, page by page."""
    import trafilatura
    from corpus.steps.extract import _parse, _preclean, _run_trafilatura
    from lxml.html import fromstring
    from trafilatura.utils import HTML_PARSER

    cfg = ExtractConfig(focus_article=False, rescue_ratio=0)
    for p in all_eval[::40]:
        ours = _run_trafilatura(_preclean(_parse(p["html"])), p["url"], cfg)
        ref = trafilatura.extract(fromstring(p["html"], parser=HTML_PARSER), url=p["url"], fast=True,
                                  favor_precision=True, include_comments=False, deduplicate=False)  # fmt: skip
        assert ours == ref, p["id"]


def test_rescue_bound_never_changes_the_decision(all_eval: list[dict]) -> None:
    """The visible-text bound that skips resiliparse against the rule computed in full, on real pages."""
    from corpus.steps.extract import _trafilatura

    fired = 0
    for p in all_eval[::8]:
        art, page_chars = _trafilatura(p["html"], p["url"], ExtractConfig(rescue_ratio=0))
        text = art["text"] if art else ""
        assert rescue_text(text, p["html"], 0.3, page_chars) == rescue_text(text, p["html"], 0.3), p["id"]
        fired += rescue_text(text, p["html"], 0.3) is not None
    assert fired >= 1  # the comparison covered pages where the rule fires, not only ones where it stays off


def test_time_bound_drops_the_page_not_the_task() -> None:
    rows = "".join(
        f"<tr><td><a href='/x{i}'>cell {i}</a></td><td><p>text {i}</p></td></tr>" for i in range(40_000)
    )
    slow = Document(text=f"<html><body><div><table>{rows}</table></div></body></html>", id="slow")
    fine = Document(text="<html><body><p>" + "A short clean page about the harbour. " * 20 + "</p></body></html>",
                    id="fine")  # fmt: skip
    step = ArticleExtractor(ExtractConfig(timeout_s=0.25))
    kept = [d.id for d in step.run(iter([slow, fine]))]
    assert kept == ["fine"] and step.stats["dropped_extract_timeout"].total == 1


def test_rescue_fires_on_a_page_trafilatura_cuts_short(all_eval: list[dict]) -> None:
    """CNN's interview recap: the precision-tuned path keeps ~270 chars of ~14,000; the rescue recovers it."""
    key = "https://edition.cnn.com/2021/03/08/uk/meghan-harry-oprah-interview-recap-scli-gbr-intl/index.html"
    page = next(p for p in all_eval if p["id"] == key)
    short = extract_article(page["html"], page["url"], ExtractConfig(rescue_ratio=0))
    assert needs_rescue(short["text"], page["html"], 0.5)
    rescued = extract_article(page["html"], page["url"])
    assert len(rescued["text"]) > 10 * len(short["text"])
    assert snippet_counts(page["truth"], rescued["text"])[0] > snippet_counts(page["truth"], short["text"])[0]
    assert rescued["title"] == short["title"] and rescued["title"]


def test_rescue_stays_off_on_a_clean_article(sample_data: Path) -> None:
    from corpus.bench_data import load_article_benchmark

    page = load_article_benchmark(sample_data / "article_extraction_benchmark")[0]
    art = extract_article(page["html"], page["url"], ExtractConfig(rescue_ratio=0))
    assert not needs_rescue(art["text"], page["html"], 0.5)
    assert extract_article(page["html"], page["url"])["text"] == art["text"]


def test_snippet_metric_counts() -> None:
    truth = {"with": ["a  b c", "d e"], "without": ["menu item", "footer"]}
    assert snippet_counts(truth, "x a b\nc y footer") == (1, 1, 1, 1)
    s = snippet_scores([(1, 1, 1, 1), (2, 0, 0, 2)])
    assert s == pytest.approx({"precision": 0.75, "recall": 0.75, "f1": 0.75, "accuracy": 0.75})


def test_paired_bootstrap_separates_a_real_difference_from_noise() -> None:
    f1 = lambda c: snippet_scores(c)["f1"]  # noqa: E731
    better = [(3, 0, 0, 3)] * 40  # every snippet right on 40 pages
    worse = [(2, 1, 1, 2)] * 40  # one miss and one false hit on each
    diff, lo, hi = paired_bootstrap(better, worse, f1)
    assert diff == pytest.approx(1.0 - 4 / 6) and lo == pytest.approx(diff) and hi == pytest.approx(diff)
    mixed_a = [(3, 0, 0, 3), (2, 1, 1, 2)] * 20  # the same pages, the wins and losses swapped page by page
    mixed_b = [(2, 1, 1, 2), (3, 0, 0, 3)] * 20
    diff, lo, hi = paired_bootstrap(mixed_a, mixed_b, f1)
    assert diff == 0.0 and lo < 0.0 < hi
    assert paired_bootstrap(mixed_a, mixed_b, f1, seed=3) == paired_bootstrap(mixed_a, mixed_b, f1, seed=3)
    with pytest.raises(ValueError):
        paired_bootstrap(mixed_a, mixed_b[:-1], f1)


def test_split_half_is_fixed_and_disjoint() -> None:
    pages = [{"id": str(i)} for i in range(200)]
    a, b = split_half(pages)
    assert split_half(pages) == (a, b) and not {p["id"] for p in a} & {p["id"] for p in b}
    assert len(a) + len(b) == 200 and 70 < len(a) < 130


def test_huge_page_is_cut_and_bounded() -> None:
    para = "<p>" + "The harbour board met again on Tuesday to discuss the dredging plan. " * 20 + "</p>"
    html = "<html><body><article>" + para * 700 + "</article></body></html>"  # ~1 MB
    cfg = ExtractConfig(max_html_chars=100_000)
    art = extract_article(html, config=cfg)
    assert art and len(art["text"]) < cfg.max_html_chars < len(html) / 5


def test_deeply_nested_page_does_not_crash() -> None:
    html = "<html><body>" + "<div>" * 5000 + "<p>deep text here</p>" + "</div>" * 5000 + "</body></html>"
    extract_article(html)  # any result or None, but no crash / recursion error
    assert resiliparse_text(html) is not None


def test_time_limit_interrupts() -> None:
    t0 = time.monotonic()
    with pytest.raises(ExtractTimeout), time_limit(0.2):
        while True:
            pass
    assert time.monotonic() - t0 < 2


def test_split_of_real_eval_set(all_eval: list[dict]) -> None:
    tune, confirm = split_half(all_eval)
    assert len(tune) == 318 and len(confirm) == 326
