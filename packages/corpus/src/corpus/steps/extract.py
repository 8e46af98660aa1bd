"""Extract article text and metadata (title, author, publish date) from HTML, bounded in size and time.

Default: trafilatura tuned for throughput at equal or better F1 than its defaults: ``fast=True`` (no
readability/justext fallback: about 1.5x), ``favor_precision=True`` (prunes more boilerplate: +0.01 F1 on the
article-extraction benchmark) and ``include_comments=False`` (skips the comment extractor: ~15% of the time).
Metadata comes from the page's ``<meta>`` tags and JSON-LD (trafilatura's ``examine_meta`` and
``extract_meta_json``), not from htmldate's date search, which alone costs 4x the extraction. When the page has
one clear ``<article>`` (or ``itemprop=articleBody``) element, only that subtree is extracted.
trafilatura's hottest XPath rules run as exact Python twins (``corpus.steps.xpath_twins``: the same elements
selected, ~25% fewer CPU-seconds per page; ``xpath_twins=False`` turns them off).

Recall rescue: those settings lose recall on some pages (``favor_precision`` above all). resiliparse's
main-content extraction (~4 ms/page) gives a cheap, recall-heavy length estimate; when trafilatura's text is
shorter than ``rescue_ratio`` times it, the page is extracted again with plain ``trafilatura.extract``
(about 1 page in 10). ``rescue_ratio=0.5`` was chosen on a fixed seeded half of ``trafilatura_eval`` and
confirmed on the other half and on ``article_extraction_benchmark`` (docs/corpus.md). ``news-please``
(the paper's extractor) is available as the optional extra ``news-please``.

Usage: ``extract_article(html, url="https://...")`` -> ``{"text", "title", "author", "publish_date"}`` or None
"""

from __future__ import annotations

import functools
import re
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from typing import Any

from datatrove.data import DocumentsPipeline
from datatrove.pipeline.base import PipelineStep

from corpus.errors import CorpusError
from corpus.steps.xpath_twins import fast_xpaths

EXTRACTORS = ("trafilatura", "resiliparse", "news-please")
_DATE_XPATH = (
    '//meta[@property="article:published_time" or @name="article:published_time" or @property="og:published_time"'
    ' or @name="pubdate" or @name="publishdate" or @name="publish-date" or @itemprop="datePublished"'
    ' or @name="date" or @name="DC.date.issued" or @name="dc.date" or @name="sailthru.date"'
    ' or @name="parsely-pub-date"]/@content | //time[@datetime]/@datetime'
)
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


@dataclass(frozen=True, kw_only=True)
class ExtractConfig:
    """How to turn a page into an article; defaults are the benchmark-tuned trafilatura settings."""

    extractor: str = "trafilatura"
    fast: bool = True  # no readability/justext fallback
    favor_precision: bool = True
    include_comments: bool = False
    include_tables: bool = True
    with_metadata: bool = True
    focus_article: bool = True  # extract from the page's single <article>/articleBody element when it has one
    focus_min_chars: int = 500  # ... and that element holds at least this much text
    rescue_ratio: float = 0.3  # rescue when the text is < this x resiliparse's main content (0: never)
    rescue_with: str = "resiliparse"  # the rescue's text: resiliparse's own, or "trafilatura" (plain, slow)
    xpath_twins: bool = True  # trafilatura's hot XPaths evaluated by exact Python twins (xpath_twins.py)
    max_html_chars: int = 2_000_000  # pages beyond this are cut before parsing (size bound)
    timeout_s: float = 10.0  # per page; enforced with SIGALRM in the main thread (time bound)

    def __post_init__(self) -> None:
        if self.extractor not in EXTRACTORS:
            raise CorpusError(f"unknown extractor {self.extractor!r}: choose one of {', '.join(EXTRACTORS)}")
        if self.rescue_with not in ("resiliparse", "trafilatura"):
            raise CorpusError(f"unknown rescue_with {self.rescue_with!r}: choose resiliparse or trafilatura")


class ExtractTimeout(BaseException):
    """One page took longer than ``ExtractConfig.timeout_s``. A ``BaseException`` (like ``KeyboardInterrupt``):
    trafilatura catches ``Exception`` in places, which swallowed the bound and let a page run for 20 s."""


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise ``ExtractTimeout`` after ``seconds`` (only in the main thread: signals need it; else unbounded)."""
    if seconds <= 0 or threading.current_thread() is not threading.main_thread():
        yield
        return

    def _raise(signum: int, frame: Any) -> None:
        raise ExtractTimeout()

    old = signal.signal(signal.SIGALRM, _raise)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def extract_article(html: str, url: str | None = None, config: ExtractConfig | None = None) -> dict | None:
    """Return ``{"text", "title", "author", "publish_date"}`` for the page's main article, or None if empty."""
    config = config or ExtractConfig()
    html = html[: config.max_html_chars]
    if config.extractor == "news-please":
        return _news_please(html, url)
    if config.extractor == "resiliparse":
        return _resiliparse(html, config)
    art, page_chars = _trafilatura(html, url, config)
    if config.rescue_ratio <= 0:
        return art
    text = art["text"] if art else ""
    rescue = rescue_text(text, html, config.rescue_ratio, page_chars)
    if rescue is None:
        return art
    if config.rescue_with == "trafilatura":
        import trafilatura

        tree = _parse(html)
        with fast_xpaths() if config.xpath_twins else nullcontext():
            rescue = trafilatura.extract(tree, url=url, deduplicate=False) if tree is not None else None
        rescue = (rescue or "").strip()
    if len(rescue) > len(text):
        meta = art or (_page_metadata(_parse(html)) if config.with_metadata else {})
        art = {**meta, "text": rescue}
    return art


def resiliparse_text(html: str) -> str:
    """resiliparse's main-content text (DCLM's extractor): fast, recall-heavy, keeps more boilerplate."""
    from resiliparse.extract.html2text import extract_plain_text

    return extract_plain_text(
        html, main_content=True, preserve_formatting=True, list_bullets=False, alt_texts=False, comments=False
    ).strip()


def rescue_text(text: str, html: str, ratio: float, page_chars: int | None = None) -> str | None:
    """The fallback rule: resiliparse's main-content text when trafilatura kept less than ``ratio`` x it, else
    None. ``page_chars`` (the page's whole visible text, an upper bound on resiliparse's) skips the
    resiliparse pass when even that bound cannot make the rule fire (most pages)."""
    if page_chars is not None and len(text) >= ratio * page_chars:
        return None
    found = resiliparse_text(html)
    return found if len(text) < ratio * len(found) else None


def needs_rescue(text: str, html: str, ratio: float) -> bool:
    """Whether the fallback rule fires for this text (see ``rescue_text``)."""
    return rescue_text(text, html, ratio) is not None


def _resiliparse(html: str, config: ExtractConfig) -> dict | None:
    text = resiliparse_text(html)
    if not text:
        return None
    tree = _parse(html) if config.with_metadata else None
    meta = _page_metadata(tree) if tree is not None else {}
    return {"text": text, **meta}


def _trafilatura(html: str, url: str | None, config: ExtractConfig) -> tuple[dict | None, int | None]:
    """(article or None, characters of visible page text after the pre-clean, for the rescue's bound)."""
    tree = _parse(html)
    if tree is None:
        return None, None
    meta = _page_metadata(tree) if config.with_metadata else {}
    focused = _focus_article(tree, config.focus_min_chars) if config.focus_article else tree
    page_chars = _visible_chars(_preclean(tree))
    text = None
    if focused is not tree:  # the article was moved out of the page tree: count both parts
        page_chars += _visible_chars(_preclean(focused))
        text = _run_trafilatura(focused, url, config)
        if not text or len(text) < config.focus_min_chars // 2:  # the container misled: use the whole page
            tree, text = _preclean(_parse(html)), None
    if text is None:
        text = _run_trafilatura(tree, url, config)
    if not text or not text.strip():
        return None, page_chars
    return {"text": text.strip(), **meta}, page_chars


def _preclean(tree: Any) -> Any:
    """Drop, once and before trafilatura, the elements its ``tree_cleaning`` deletes anyway (scripts, styles,
    svg, nav, footer, <head> ...; tails kept, as it does): the same text, but its three tree copies and XPath
    passes run over a smaller tree (~15% faster). Metadata is read before this (it needs <head> and <time>)."""
    from lxml import etree
    from trafilatura.settings import MANUALLY_CLEANED

    if tree is not None:  # form/figure/math get special handling there first, so they stay
        etree.strip_elements(tree, *(t for t in MANUALLY_CLEANED if t not in _KEEP), with_tail=False)
    return tree


_KEEP = frozenset(("form", "figure", "math"))


def _visible_chars(tree: Any) -> int:
    """Length of the page's text with whitespace runs collapsed (bounds any main-content extract of it)."""
    return len(" ".join(tree.text_content().split())) + 1


def _run_trafilatura(tree: Any, url: str | None, config: ExtractConfig) -> str | None:
    import trafilatura

    with fast_xpaths() if config.xpath_twins else nullcontext():
        return trafilatura.extract(
            tree,
            url=url,
            fast=config.fast,
            favor_precision=config.favor_precision,
            include_comments=config.include_comments,
            include_tables=config.include_tables,
            deduplicate=False,
        )


def _parse(html: str) -> Any:
    """Parse with trafilatura's lxml parser settings, skipping its regex repair pass (~7% of the time) unless
    lxml cannot make a document of the page; then trafilatura's own ``load_html`` (repair + checks) decides.
    Every element is an ``HtmlElement`` by a C-level class lookup, not lxml.html's per-element Python callback
    (~5% faster, the same extractions on the benchmark)."""
    from lxml.etree import ParserError
    from lxml.html import fromstring
    from trafilatura.utils import load_html

    try:
        tree = fromstring(html, parser=_parser())
    except (ParserError, ValueError):
        tree = None
    if tree is None or tree.tag != "html" or len(tree) == 0:
        tree = load_html(html)
    return tree


@functools.cache
def _parser() -> Any:
    import lxml.html
    from lxml import etree

    parser = etree.HTMLParser(
        collect_ids=False, default_doctype=False, encoding="utf-8", remove_comments=True, remove_pis=True
    )
    parser.set_element_class_lookup(
        etree.ElementDefaultClassLookup(
            element=lxml.html.HtmlElement,
            comment=lxml.html.HtmlComment,
            pi=lxml.html.HtmlProcessingInstruction,
            entity=lxml.html.HtmlEntity,
        )
    )
    return parser


def _focus_article(tree: Any, min_chars: int) -> Any:
    """The page reduced to its article container, if it has one clear one (else the page unchanged).

    Semantic markup (HTML5 ``<article>``, schema.org ``itemprop=articleBody``) marks the article on most news
    sites; handing trafilatura only that subtree skips most of its boilerplate pruning (its XPath passes cost
    ~30% of the time and scale with the tree) for the same text. "Clear": the only ``articleBody``, else the
    only outermost ``<article>``, else an ``<article>`` with 3x the text of any other (teasers of related
    stories are ``<article>``s too), else the only ``<main>`` / ``role="main"`` element (added on the tune half
    of trafilatura_eval: 44 of 318 pages, the same F1, +13% pages/s). On the benchmark: ~2x faster and +0.001
    F1 vs the whole page.
    """
    from lxml import etree

    found = tree.xpath('//*[@itemprop="articleBody"]')
    if len(found) != 1:
        articles = tree.xpath("//article")
        inside = set(articles)
        found = [a for a in articles if not any(b in inside for b in a.iterancestors())]
        if len(found) > 1:
            sizes = sorted(((len(a.text_content()), i) for i, a in enumerate(found)), reverse=True)
            found = [found[sizes[0][1]]] if sizes[0][0] >= 3 * sizes[1][0] else found
    if len(found) != 1 or len(found[0].text_content()) < min_chars:
        found = tree.xpath('//main | //*[@role="main"]')
    if len(found) != 1 or len(found[0].text_content()) < min_chars:
        return tree
    root = _parser().makeelement("html")  # our parser's C-level class lookup, not lxml.html's Python one
    etree.SubElement(root, "body").append(found[0])  # moves the subtree; the page tree is not used again
    return root


def _page_metadata(tree: Any) -> dict:
    """Title and author from meta tags/JSON-LD (trafilatura's cheap parts), date from meta/``<time>``."""
    from trafilatura.metadata import examine_meta, extract_meta_json

    meta = examine_meta(tree)
    date = _publish_date(tree)
    if not (meta.author and date):  # JSON-LD costs ~3 ms/page (10% of extraction): only when still missing
        try:
            meta = extract_meta_json(tree, meta)
        except Exception:  # noqa: BLE001 - malformed JSON-LD must not cost the article
            pass
        date = date or _ld_date(tree)
    title = meta.title
    if not title:
        found = tree.xpath("//title/text() | //h1//text()")
        title = found[0].strip() if found else None
    return {"title": title or None, "author": meta.author or None, "publish_date": date}


def _publish_date(tree: Any) -> str | None:
    for value in tree.xpath(_DATE_XPATH):
        m = _ISO_DATE.search(str(value))
        if m and 1990 <= int(m.group(1)) <= 2100:
            return m.group(0)
    return None


def _ld_date(tree: Any) -> str | None:
    """``datePublished`` from JSON-LD text (regex: the JSON was already parsed once for the author)."""
    for script in tree.xpath('//script[@type="application/ld+json"]/text()'):
        m = re.search(r'"datePublished"\s*:\s*"(\d{4}-\d{2}-\d{2})', script)
        if m:
            return m.group(1)
    return None


def _news_please(html: str, url: str | None) -> dict | None:
    try:
        from newsplease import NewsPlease
    except ImportError:
        raise CorpusError("--extractor news-please needs the extra: uv sync --extra news-please") from None
    art = NewsPlease.from_html(html, url=url, fetch_images=False)
    if not art or not (art.maintext or "").strip():
        return None
    date = art.date_publish.date().isoformat() if getattr(art, "date_publish", None) else None
    return {
        "text": art.maintext.strip(),
        "title": art.title or None,
        "author": ", ".join(art.authors) if art.authors else None,
        "publish_date": date,
    }


class ArticleExtractor(PipelineStep):
    """Replace each Document's HTML with its article text; add ``title``/``author``/``publish_date`` metadata.

    Pages with no article are dropped as ``dropped_extract_empty``; pages over the time bound as
    ``dropped_extract_timeout``; extractor crashes as ``dropped_extract_error`` (never the task).
    """

    type = "🛢 - EXTRACTOR"
    name = "📰 article text"

    def __init__(self, config: ExtractConfig | None = None) -> None:
        super().__init__()
        self.config = config or ExtractConfig()

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        extract_article(
            "<html><body><p>warm-up</p></body></html>", None, self.config
        )  # imports: not a page's time
        for doc in data:
            self.stat_update("total")
            reason = None
            try:
                with self.track_time(), time_limit(self.config.timeout_s):
                    art = extract_article(doc.text, doc.metadata.get("url"), self.config)
            except ExtractTimeout:
                reason = "extract_timeout"
            except CorpusError:
                raise
            except Exception:  # noqa: BLE001 - one bad page costs one document
                reason = "extract_error"
            else:
                reason = None if art else "extract_empty"
            if reason:
                self.stat_update("dropped", f"dropped_{reason}")
                continue
            doc.text = art.pop("text")
            doc.metadata.update({k: v for k, v in art.items() if v})
            self.stat_update("forwarded")
            yield doc
