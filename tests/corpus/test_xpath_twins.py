"""The Python twins of trafilatura's XPaths select exactly what the XPaths select (fast path vs reference)."""

from __future__ import annotations

from copy import deepcopy
from pathlib import Path

import pytest
import trafilatura.xpaths as xpaths
from corpus.bench_data import load_article_benchmark, load_trafilatura_eval
from corpus.steps.extract import ExtractConfig, _parse, extract_article
from corpus.steps.xpath_twins import _TWINS, fast_xpaths, path_digest, twins
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree


def _stages(html: str) -> list:
    """The trees trafilatura evaluates its XPaths on: the raw page, the cleaned + converted page, subtrees."""
    from trafilatura.htmlprocessing import convert_tags, tree_cleaning
    from trafilatura.settings import Extractor

    raw = _parse(html)
    if raw is None:
        return []
    opts = Extractor(fast=True, precision=True, comments=False, tables=True)
    conv = convert_tags(tree_cleaning(deepcopy(raw), opts), opts)
    subs = [conv.find(f".//{t}") for t in ("body", "article", "div", "list")]
    return [raw, conv, *(s for s in subs if s is not None)]


def _assert_twins_equal(pages: list[dict]) -> int:
    checked, active = 0, twins()
    for page in pages:
        for tree in _stages(page["html"]):
            for name, index, original, twin in active:
                assert twin(tree) == original(tree), f"{name}[{index}] differs on {page['id']}"
                checked += 1
    return checked


def test_every_twin_is_active_on_the_installed_trafilatura() -> None:
    active = {(name, index) for name, index, _, _ in twins()}
    assert active == {(name, index) for name, index, _, _ in _TWINS}


def test_a_changed_expression_falls_back_to_the_xpath(monkeypatch: pytest.MonkeyPatch) -> None:
    changed = list(xpaths.TEASER_DISCARD_XPATH)
    changed[0] = etree.XPath(changed[0].path + " ")  # any edit of the text unpins the twin
    monkeypatch.setattr(xpaths, "TEASER_DISCARD_XPATH", changed)
    assert "TEASER_DISCARD_XPATH" not in {name for name, *_ in twins()}
    assert path_digest(changed[0].path) != path_digest(xpaths.BODY_XPATH[0].path)


def test_swap_is_scoped_and_reentrant() -> None:
    before = list(xpaths.OVERALL_DISCARD_XPATH)
    with fast_xpaths():
        inside = list(xpaths.OVERALL_DISCARD_XPATH)
        with fast_xpaths():
            assert list(xpaths.OVERALL_DISCARD_XPATH) == inside
        assert list(xpaths.OVERALL_DISCARD_XPATH) == inside  # the inner exit keeps the outer block's twins
    assert list(xpaths.OVERALL_DISCARD_XPATH) == before
    assert all(a is not b for a, b in zip(inside, before, strict=True))


def test_twins_equal_xpaths_on_real_pages(sample_data: Path) -> None:
    pages = load_trafilatura_eval(sample_data / "trafilatura_eval")[::12]
    pages += load_article_benchmark(sample_data / "article_extraction_benchmark")[::8]
    assert _assert_twins_equal(pages) > 500


@pytest.mark.slow
def test_twins_equal_xpaths_on_every_benchmark_page(sample_data: Path) -> None:
    pages = load_trafilatura_eval(sample_data / "trafilatura_eval")
    pages += load_article_benchmark(sample_data / "article_extraction_benchmark")
    assert _assert_twins_equal(pages) > 20_000


def _extractions(pages: list[dict]) -> tuple[list, list]:
    on, off = ExtractConfig(), ExtractConfig(xpath_twins=False)
    return (
        [extract_article(p["html"], p["url"], on) for p in pages],
        [extract_article(p["html"], p["url"], off) for p in pages],
    )


def test_extraction_is_identical_with_and_without_twins(sample_data: Path) -> None:
    pages = load_trafilatura_eval(sample_data / "trafilatura_eval")[5::16]
    with_twins, without = _extractions(pages)
    assert with_twins == without
    assert sum(bool(a and a["text"]) for a in with_twins) >= len(pages) - 2


@pytest.mark.slow
def test_extraction_is_identical_on_every_benchmark_page(sample_data: Path) -> None:
    pages = load_trafilatura_eval(sample_data / "trafilatura_eval")
    pages += load_article_benchmark(sample_data / "article_extraction_benchmark")
    with_twins, without = _extractions(pages)
    assert with_twins == without


# Generated pages: the tags and the id/class/style/role tokens the rules test, in random nestings and
# attribute orders (the ``@id|@class`` rules read whichever attribute comes first in the source).
_TAGS = [
    "div",
    "section",
    "article",
    "main",
    "span",
    "p",
    "ul",
    "ol",
    "aside",
    "header",
    "h1",
    "list",
    "item",
]
_TOKENS = [
    "post",
    "entry",
    "content",
    "main",
    "main-content",
    "Main-Content",
    "page-content",
    "article-body",
    "story",
    "comments",
    "Comment",
    "commentary",
    "post-comments",
    "share-",
    "sharing",
    "social",
    "cookie",
    "nav",
    "Nav",
    "footer",
    "ad-box",
    " ad ",
    "teaser",
    "Teaser",
    "caption",
    "bottom",
    "page-bottom",
    "link",
    "reply-x",
    "hidden",
    "hide-me",
    "display:none",
    "border: 0",
    "mvp-post-add-box",
    "infinite-scroll",
    "fulltext",
    "FullText",
    "text",
    "widget",
    "meta",
    "related",
    "x",
    "true",
    "article",
    "articleBody",
    "articleContent",
]
_ATTRS = ["id", "class", "style", "role", "itemprop", "aria-hidden", "data-component"]

_attr = st.tuples(
    st.sampled_from(_ATTRS), st.lists(st.sampled_from(_TOKENS), min_size=1, max_size=2).map(" ".join)
)


@st.composite
def _tree(draw: st.DrawFn, depth: int = 0) -> str:
    tag = draw(st.sampled_from(_TAGS))
    attrs = draw(st.lists(_attr, max_size=3, unique_by=lambda a: a[0]))
    text = "".join(f' {k}="{v}"' for k, v in attrs)
    children = draw(st.lists(_tree(depth + 1), max_size=0 if depth >= 3 else 3))
    return f"<{tag}{text}>t{''.join(children)}</{tag}>"


_ACTIVE = twins()


@settings(max_examples=300, deadline=None)
@given(st.lists(_tree(), min_size=1, max_size=4))
def test_twins_equal_xpaths_on_generated_trees(parts: list[str]) -> None:
    tree = etree.fromstring(f"<html><body>{''.join(parts)}</body></html>", etree.HTMLParser())
    for name, index, original, twin in _ACTIVE:
        for context in (tree, tree[0]):
            assert twin(context) == original(context), f"{name}[{index}]"
