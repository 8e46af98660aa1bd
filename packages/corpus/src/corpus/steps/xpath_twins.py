"""Python twins of trafilatura's hottest XPath rules: the same elements, in the same order, ~2-3x cheaper.

Why: about half of trafilatura's time on a page goes to evaluating its boilerplate XPaths (``BODY_XPATH``,
``OVERALL_DISCARD_XPATH`` ...). They call ``re:test`` (lxml's EXSLT regex: a Python callback per element per
test, with a smart-string proxy per attribute) inside libxml2's node-set machinery. A twin walks the same
elements with ``iterdescendants`` and tests the same attributes with the same compiled regexes, read from the
live expression text, so it selects exactly what the XPath selects.

Safety: each twin is pinned to the sha256 of the expression text it mirrors; ``fast_xpaths()`` swaps in only
the twins whose expression is unchanged (a trafilatura upgrade silently falls back to its own XPaths, and a
test fails until the twin is re-checked). Tests compare every twin with its XPath on every page of both
extraction benchmarks (raw, cleaned and converted trees) and on generated trees, and whole extractions with
and without twins. The swap is process-wide while any ``fast_xpaths()`` block is open; since twins select
exactly what the XPaths select, other trafilatura callers get the same results either way.

Usage: ``with fast_xpaths(): trafilatura.extract(tree, ...)``
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

_RE_TEST = re.compile(r"re:test\(\s*[@\w|]+\s*,\s*'([^']*)'\s*(?:,\s*'([^']*)'\s*)?\)")


def _first(attrs: dict[str, str], a: str, b: str) -> str:
    """XPath's string value of ``@a|@b``: the attribute that comes first in the source, else ''."""
    for key, value in attrs.items():  # attributes in source order; an element has a handful
        if key == a or key == b:
            return value
    return ""


def _first_per_parent(matches: Iterator[Any]) -> list:
    """``.//*[pred][1]``: for each parent, its first child that matches (the matches come in document order)."""
    parents, out = set(), []
    for e in matches:
        parent = e.getparent()
        if parent not in parents:
            parents.add(parent)
            out.append(e)
    return out


class _Twin:
    """Callable like an ``lxml.etree.XPath``: ``twin(tree) -> [elements]``; ``path`` is the mirrored text."""

    def __init__(self, original: Any, select: Callable[[Any, list], list]) -> None:
        self.path = original.path
        self._original = original
        self._regex = [
            re.compile(p, re.I if "i" in (flags or "") else 0) for p, flags in _RE_TEST.findall(self.path)
        ]
        self._select = select

    def __call__(self, tree: Any, **_: Any) -> list:
        return self._select(tree, self._regex)

    def __str__(self) -> str:
        return self.path


def _elements(tree: Any, *tags: str) -> Iterator[Any]:
    from lxml import etree

    return tree.iterdescendants(*tags) if tags else tree.iterdescendants(etree.Element)


def _raw_prune(tree: Any, r: list) -> list:
    return [
        e
        for e in _elements(tree, "div", "section", "aside")
        if (r[0].search(e.get("id") or "") or r[1].search(e.get("class") or ""))
        and (
            next(e.iterdescendants("h1"), None) is None
            or r[2].search(e.get("id") or "")
            or r[3].search(e.get("class") or "")
        )
    ]


def _comments(tree: Any, r: list) -> list:
    return [
        e
        for e in _elements(tree, "div", "list", "section", "details")
        if r[0].search(e.get("id") or "") or r[1].search(e.get("class") or "")
    ]


def _comments_and_lists(tree: Any, r: list) -> list:
    out = []
    for e in _elements(tree, "div", "list", "section", "details", "ol", "ul"):
        i, c = e.get("id") or "", e.get("class") or ""
        if (r[0].search(i) or r[1].search(c)) and (
            e.tag not in ("ol", "ul") or r[2].search(i) or r[3].search(c)
        ):
            out.append(e)
    return out


_BODY_TAGS = ("article", "div", "main", "section")


def _body0(tree: Any, r: list) -> list:
    def match(e: Any) -> bool:
        c, i = e.get("class"), e.get("id")
        return (
            c in ("post", "entry")
            or e.get("itemprop") == "articleBody"
            or i == "articleContent"
            or bool(r[0].search(i or ""))
            or bool(r[1].search(c or ""))
        )

    return _first_per_parent(e for e in _elements(tree, *_BODY_TAGS) if match(e))


_BODY2_CLASSES = ("postarea", "art-postcontent", "text", "cell", "story")


def _body2(tree: Any, r: list) -> list:
    for e in _elements(tree, *_BODY_TAGS):
        c, i = e.get("class"), e.get("id")
        if (
            e.get("role") == "article"
            or i in ("article", "story")
            or c in _BODY2_CLASSES
            or r[0].search(i or "")
            or r[1].search(c or "")
            or r[2].search(c or "")
        ):
            return [e]
    return []


def _body3(tree: Any, r: list) -> list:
    for e in _elements(tree, *_BODY_TAGS):
        c, i = e.get("class") or "", e.get("id") or ""
        if (
            e.get("id") == "content"
            or e.get("class") == "content"
            or r[0].search(i)
            or r[1].search(c)
            or "main-content" in i.replace("C", "c").replace("M", "m")
            or "main-content" in c.replace("C", "c").replace("M", "m")
            or "page-content" in c.replace("C", "c").replace("P", "p")
        ):
            return [e]
    return []


def _body4(tree: Any, r: list) -> list:
    first = next(
        (
            e
            for e in _elements(tree, "article", "div", "section")
            if (e.get("class") or "").startswith("main")
            or (e.get("id") or "").startswith("main")
            or (e.get("role") or "").startswith("main")
        ),
        None,
    )
    main = next(_elements(tree, "main"), None)
    found = [e for e in (first, main) if e is not None]
    if len(found) == 2 and found[0] is not found[1]:
        for e in _elements(tree):  # the union comes back in document order
            if e is found[0] or e is found[1]:
                return [e, found[1] if e is found[0] else found[0]]
    return found[:1]


_DISCARD_TAGS = ("div", "item", "list", "p", "section", "span")


def _overall0(tree: Any, r: list) -> list:
    out = []
    for e in _elements(tree, *_DISCARD_TAGS):
        items = e.items()
        if not items:  # every test below needs an attribute (no regex here matches '')
            continue
        a = dict(items)
        if (
            "data-lp-replacement-content" in a
            or "nav" in a.get("role", "").replace("N", "n")
            or "MostPopularStories" in a.get("data-component", "")
            or r[0].search(_first(a, "id", "class"))
            or r[1].search(a.get("id", ""))
            or r[2].search(a.get("class", ""))
        ):
            out.append(e)
    return out


def _overall1(tree: Any, r: list) -> list:
    out = []
    for e in _elements(tree):
        items = e.items()
        if not items:
            continue
        a = dict(items)
        c, style = a.get("class", ""), a.get("style", "")
        if (
            c == "comments-title"
            or _first(a, "id", "class").startswith("reply-")
            or r[0].search(_first(a, "id", "style"))
            or "display:none" in style
            or "display: none" in style
            or r[1].search(a.get("id", ""))
            or r[2].search(c)
            or a.get("aria-hidden") == "true"
        ):
            out.append(e)
    return out


def _captions(tree: Any, r: list) -> list:
    return [
        e
        for e in _elements(tree, *_DISCARD_TAGS)
        if "caption" in (e.get("id") or "") or "caption" in (e.get("class") or "")
    ]


def _teasers(tree: Any, r: list) -> list:
    return [
        e
        for e in _elements(tree, *_DISCARD_TAGS)
        if "teaser" in (e.get("id") or "").replace("T", "t")
        or "teaser" in (e.get("class") or "").replace("T", "t")
    ]


def _precision1(tree: Any, r: list) -> list:
    out = []
    for e in _elements(tree, *_DISCARD_TAGS):
        items = e.items()
        if not items:
            continue
        a = dict(items)
        first = _first(a, "id", "class")
        if r[0].search(first) or r[1].search(first) or "border" in a.get("style", ""):
            out.append(e)
    return out


# (trafilatura.xpaths list, index, sha256 of the expression text [:16], twin): the text pins the structure
# the twin was written for; the regexes themselves are read from that text.
_TWINS: tuple[tuple[str, int, str, Callable[[Any, list], list]], ...] = (
    ("RAW_TREE_PRUNE_XPATH", 0, "01e7c660fd6406f2", _raw_prune),
    ("REMOVE_COMMENTS_AND_LISTS_XPATH", 0, "9cc18d34e6e2d258", _comments_and_lists),
    ("REMOVE_COMMENTS_XPATH", 0, "5d97216ca15d0558", _comments),
    ("BODY_XPATH", 0, "caaa561ceca17064", _body0),
    ("BODY_XPATH", 2, "6c9b5e1fdc092943", _body2),
    ("BODY_XPATH", 3, "10a7ceacc0ff8cdf", _body3),
    ("BODY_XPATH", 4, "95f15d1c1b6d4052", _body4),
    ("OVERALL_DISCARD_XPATH", 0, "a837e58a1b1ea116", _overall0),
    ("OVERALL_DISCARD_XPATH", 1, "c1d5b70b8cd03783", _overall1),
    ("DISCARD_IMAGE_ELEMENTS", 0, "cb1ab981e44913f7", _captions),
    ("TEASER_DISCARD_XPATH", 0, "ebb02f066626551d", _teasers),
    ("PRECISION_DISCARD_XPATH", 1, "53d31ea1df47920a", _precision1),
)


def path_digest(path: str) -> str:
    """The pin of an expression text (first 16 hex digits of its sha256)."""
    return hashlib.sha256(path.encode()).hexdigest()[:16]


def twins() -> list[tuple[str, int, Any, _Twin]]:
    """``[(list name, index, original XPath, twin)]`` for every twin whose expression is unchanged."""
    import trafilatura.xpaths as xpaths

    out = []
    for name, index, digest, select in _TWINS:
        exprs = getattr(xpaths, name, None)
        if not isinstance(exprs, list) or len(exprs) <= index:
            continue
        original = exprs[index]
        if isinstance(original, _Twin):
            original = original._original
        if path_digest(getattr(original, "path", "")) == digest:
            out.append((name, index, original, _Twin(original, select)))
    return out


_lock = threading.Lock()
_open = 0
_active: list[tuple[str, int, Any, _Twin]] | None = None


@contextmanager
def fast_xpaths() -> Iterator[None]:
    """Swap the twins into trafilatura's XPath lists for the block (re-entrant, thread-safe)."""
    global _open, _active
    import trafilatura.xpaths as xpaths

    with _lock:
        if _active is None:
            _active = twins()
        if _open == 0:
            for name, index, _, twin in _active:
                getattr(xpaths, name)[index] = twin
        _open += 1
    try:
        yield
    finally:
        with _lock:
            _open -= 1
            if _open == 0:
                for name, index, original, _ in _active:
                    getattr(xpaths, name)[index] = original
