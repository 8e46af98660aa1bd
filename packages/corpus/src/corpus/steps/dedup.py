"""Deduplication keys and settings shared by every corpus build.

Dedup runs as datatrove's multi-stage, disk-backed jobs (signatures -> sorted merge -> filter), so memory is
bounded per task and the work spreads over machines: exact dedup on a normalized URL, then on a normalized
text hash (``ExactDedupSignature/ExactFindDedups/ExactDedupFilter``), then near duplicates with MinHash LSH
(``MinhashDedupSignature/Buckets/Cluster/Filter``). Each stage dedups the survivors of the previous one, so a
group of copies always keeps exactly one member. The stage functions live in ``corpus.stages``.

Usage: ``DedupConfig(minhash_buckets=14, minhash_hashes_per_bucket=8)``
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from datatrove.data import Document
from datatrove.utils.word_tokenizers import WordTokenizer

from corpus.urls import url_key

_SENT_RE = re.compile(r"(?<=[.!?])\s+")


@dataclass(frozen=True, kw_only=True)
class DedupConfig:
    """Dedup settings. MinHash: 5-word shingles, 14 bands x 8 rows (datatrove's defaults): pairs with Jaccard
    >= 0.8 collide with probability > 0.92, pairs below 0.5 with < 0.05."""

    exact_url: bool = True
    exact_text: bool = True
    near: bool = True
    minhash_ngrams: int = 5
    minhash_buckets: int = 14
    minhash_hashes_per_bucket: int = 8
    finder_workers: int = 1  # tasks of the exact-dedup merge stage (hash ranges)


class RegexWordTokenizer(WordTokenizer):
    """A dependency-free word tokenizer for datatrove's Gopher filters and MinHash (datatrove's English one
    needs spaCy): whitespace-separated words, as Gopher counts them (splitting off punctuation would make
    every comma a "non-alphabetic word"), sentences split after ``.!?``."""

    def __init__(self, language: str = "en") -> None:
        super().__init__(language)

    def word_tokenize(self, text: str) -> list[str]:
        return text.split()

    def sent_tokenize(self, text: str) -> list[str]:
        return [s for s in (p.strip() for p in _SENT_RE.split(text)) if s]

    def span_tokenize(self, text: str) -> list[tuple[int, int]]:
        return [m.span() for m in re.finditer(r"\S+", text)]


def normalized_url_key(doc: Document) -> bytes:
    """Exact-dedup content getter: the document's URL key (``corpus.urls.url_key``; falls back to its id),
    UTF-8 bytes."""
    return (url_key(doc.metadata.get("url") or "") or str(doc.id)).encode("utf-8")


def normalized_text_key(doc: Document) -> bytes:
    """Exact-dedup content getter: lowercased text with punctuation, digits' variation and spacing removed
    (datatrove's ``simplify_text``), so re-encoded or re-spaced copies hash equal; UTF-8 bytes."""
    from datatrove.utils.text import TextNormConfig, simplify_text

    return simplify_text(doc.text, TextNormConfig()).encode("utf-8")
