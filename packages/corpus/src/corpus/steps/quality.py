"""datatrove's Gopher repetition, Gopher quality and C4 filters: same rules, same decision on every text, cheaper.

Profiling the document stage showed the two Gopher filters at about a third of its CPU time, nearly all of it in
per-position Python work: every n-gram (n = 2..10) built with ``" ".join(words[i:i+n])`` and walked in a Python
loop, and two generator scans per word. The twins here build the same n-gram strings as slices of one joined
string (no list per n-gram), count them with ``collections.Counter`` (in C), skip the greedy duplicate walk when
no n-gram repeats at all (it then counts 0, as the walk would), and decide each word's "has a non-symbol
character" / "has a letter" once per distinct word. The order of the rules, the reasons and the thresholds are
datatrove's own (these subclass its filters and keep its ``__init__``); ``tests/corpus/test_quality.py`` checks
every decision against datatrove's implementation on real and generated texts. ``FastC4QualityFilter`` stops
counting a page's sentences once it has C4's minimum (the count is only compared with it), and keeps the same
lines.

Usage: ``[FastGopherQualityFilter(language=tok), FastGopherRepetitionFilter(language=tok)]``
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable
from itertools import accumulate, compress
from operator import ne
from typing import Any

from datatrove.data import Document
from datatrove.pipeline.filters import C4QualityFilter, GopherQualityFilter, GopherRepetitionFilter
from datatrove.pipeline.filters.c4_filters import CITATION_REGEX, ELLIPSIS, END_PUNCTUATION, POLICY_SUBSTRINGS
from datatrove.pipeline.filters.gopher_repetition_filter import find_duplicates
from datatrove.utils.text import PUNCTUATION_SET, split_into_sentences, split_into_words

_NO_LETTER_IS_PUNCTUATION = not any(ch.isalpha() for ch in PUNCTUATION_SET)


class NGrams:
    """The n-grams of ``words`` joined by ``sep`` (``sep.join(words[i : i + n])`` for every i), as slices of one
    joined string; the word offsets are computed once for every n."""

    def __init__(self, words: list[str], sep: str) -> None:
        self.joined, k = sep.join(words), len(sep)
        ends = list(accumulate(map(len, words)))  # where word i ends, without separators
        if k:
            ends = [e + k * i for i, e in enumerate(ends)]
        self.starts, self.ends = [0, *((e + k for e in ends[:-1]) if k else ends[:-1])], ends

    def __call__(self, n: int) -> list[str]:
        cut = map(slice, self.starts, self.ends[n - 1 :])  # stops at the last full n-gram
        return list(map(self.joined.__getitem__, cut))


def top_duplicate_chars(grams: list[str]) -> int:
    """datatrove's ``find_top_duplicate``: length x count of the most frequent n-gram (first one on ties)."""
    gram, count = Counter(grams).most_common(1)[0]
    return len(gram) * count


def top_duplicate_chars_of_words(words: list[str], n: int) -> int:
    """``top_duplicate_chars`` of the space-joined n-grams, counted as word tuples: the same n-gram (and the
    same first one on ties) when no word holds a space, as then joining is one-to-one."""
    (gram, count), *_ = Counter(zip(*(words[k:] for k in range(n)), strict=False)).most_common(1)
    return (sum(map(len, gram)) + n - 1) * count


def all_duplicate_chars(grams: list[str], n: int) -> int:
    """datatrove's ``find_all_duplicate`` on precomputed n-grams: characters in repeated n-grams, walking
    greedily (a visited n-gram seen at a visited position before counts and skips its n words)."""
    m = len(grams)
    first = dict(zip(reversed(grams), range(m - 1, -1, -1), strict=True))  # first position of each
    if len(first) == m:  # nothing repeats: the walk counts 0
        return 0
    later = compress(range(m), map(ne, map(first.__getitem__, grams), range(m)))
    return _walk(later, grams, first, n)


def _walk(later: Iterable[int], grams: Any, first: dict[str, int], n: int) -> int:
    """The greedy walk, deciding only the ``later`` positions (those repeating an earlier n-gram, ascending):
    a first occurrence is never a repeat, so it is added whenever it is visited, i.e. unless a repeat's jump
    skipped it. ``grams[i]``: the n-gram at position i; ``first``: each repeated n-gram's first position."""
    seen: set[str] = set()  # n-grams added at visited later positions
    jumps: list[int] = []  # positions of counted repeats: the n - 1 positions after each are skipped
    repeated = next_idx = 0
    for i in later:
        if i < next_idx:
            continue
        gram = grams[i]
        j = first[gram]
        k = bisect_left(jumps, j) - 1
        if gram in seen or k < 0 or j >= jumps[k] + n:  # the first occurrence was visited (or a later one)
            repeated += len(gram)
            next_idx = i + n
            jumps.append(i)
        else:
            seen.add(gram)
    return repeated


_B = 0x9E3779B97F4A7C15  # odd, so invertible modulo 2**64
_B_INV = pow(_B, -1, 1 << 64)


class GluedNGrams(NGrams):
    """``NGrams(words, "")`` with a 64-bit polynomial hash of every n-gram's characters (numpy, modulo 2**64),
    so that ``duplicate_chars(n)`` (= ``all_duplicate_chars(self(n), n)``) builds n-gram strings only at
    positions whose hash is shared: different hashes mean different strings, and a shared hash is checked on
    the strings themselves, so a hash collision costs time, never a wrong count."""

    def __init__(self, words: list[str]) -> None:
        import numpy as np

        super().__init__(words, "")
        codes = (
            np.frombuffer(self.joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(np.uint64)
            + 1
        )
        inv_pows = np.full(len(codes), _B_INV, dtype=np.uint64)
        pows = np.full(len(codes) + 1, _B, dtype=np.uint64)
        inv_pows[:1], pows[:1] = 1, 1
        # hash(S[a:b]) = B**a * sum(c_t * B**-t, t in [a, b)) = sum(c_t * B**(a - t)): the same for equal strings
        self._prefix = np.concatenate((np.zeros(1, np.uint64), np.cumsum(codes * np.cumprod(inv_pows))))
        self._pows = np.cumprod(pows)
        self._a, self._b = np.asarray(self.starts[: len(self.ends)]), np.asarray(self.ends)

    def duplicate_chars(self, n: int) -> int:
        import numpy as np

        m = len(self.ends) - n + 1
        if m < 2:
            return 0
        a, b = self._a[:m], self._b[n - 1 :]
        hashes = (self._prefix[b] - self._prefix[a]) * self._pows[a]
        _, which, counts = np.unique(hashes, return_inverse=True, return_counts=True)
        maybe = np.flatnonzero(counts[which] > 1).tolist()
        if not maybe:
            return 0
        starts, ends, joined = self.starts, self.ends, self.joined
        grams = {i: joined[starts[i] : ends[i + n - 1]] for i in maybe}
        first: dict[str, int] = {}
        for i in maybe:
            first.setdefault(grams[i], i)
        return _walk((i for i in maybe if first[grams[i]] != i), grams, first, n)


class FastGopherRepetitionFilter(GopherRepetitionFilter):
    """``GopherRepetitionFilter`` (Gopher table A1: duplicate lines/paragraphs, top and duplicated n-grams)."""

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        text = doc.text
        if not text:
            return False, "empty"
        paragraphs = self.paragraph_exp.split(text.strip())
        dups, dup_chars = find_duplicates(paragraphs)
        if self.dup_para_frac and dups / len(paragraphs) > self.dup_para_frac:
            return False, "dup_para_frac"
        if self.dup_para_char_frac and dup_chars / len(text) > self.dup_para_char_frac:
            return False, "dup_para_char_frac"
        lines = self._line_splitter.split(text)
        dups, dup_chars = find_duplicates(lines)
        if self.dup_line_frac and dups / len(lines) > self.dup_line_frac:
            return False, "dup_line_frac"
        if self.dup_line_char_frac and dup_chars / len(text) > self.dup_line_char_frac:
            return False, "dup_line_char_frac"
        words = split_into_words(text, self.language)
        glued = GluedNGrams(words)
        spaced = NGrams(words, " ") if " " in glued.joined else None  # words with spaces: join them
        for n, frac in self.top_n_grams:
            if len(words) < n:
                continue
            top = top_duplicate_chars(spaced(n)) if spaced else top_duplicate_chars_of_words(words, n)
            if top / len(text) > frac:
                return False, f"top_{n}_gram"
        for n, frac in self.dup_n_grams:
            if glued.duplicate_chars(n) / len(text) > frac:
                return False, f"duplicated_{n}_n_grams"
        return True


class FastGopherQualityFilter(GopherQualityFilter):
    """``GopherQualityFilter`` (Gopher's word count, mean word length, symbol ratios, bullets/ellipsis lines,
    alphabetic words and stop words). A text with no words at all is ``gopher_short_doc`` (datatrove's raises
    ``ZeroDivisionError`` there when its word minimum is off)."""

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        text = doc.text
        words = split_into_words(text, self.language)
        n_words = len(words)
        counts = Counter(words)
        non_symbol = [  # an all-letter word has a non-symbol character (no letter is in PUNCTUATION_SET)
            (w, c)
            for w, c in counts.items()
            if (w.isalpha() and _NO_LETTER_IS_PUNCTUATION) or any(ch not in PUNCTUATION_SET for ch in w)
        ]
        n_non_symbol = sum(c for _, c in non_symbol)
        if (self.min_doc_words and n_non_symbol < self.min_doc_words) or not n_words:
            return False, "gopher_short_doc"
        if self.max_doc_words and n_non_symbol > self.max_doc_words:
            return False, "gopher_long_doc"
        # np.mean of the lengths: the integer sum is exact in float64, so this is the same float (nan if none)
        mean_len = sum(len(w) * c for w, c in non_symbol) / n_non_symbol if n_non_symbol else math.nan
        if self.min_avg_word_length and mean_len < self.min_avg_word_length:
            return False, "gopher_below_avg_threshold"
        if self.max_avg_word_length and mean_len > self.max_avg_word_length:
            return False, "gopher_above_avg_threshold"
        if self.max_symbol_word_ratio and text.count("#") / n_words > self.max_symbol_word_ratio:
            return False, "gopher_too_many_hashes"
        ellipses = text.count("...") + text.count("…")
        if self.max_symbol_word_ratio and ellipses / n_words > self.max_symbol_word_ratio:
            return False, "gopher_too_many_ellipsis"
        lines = text.splitlines()
        bullets = sum(s.lstrip().startswith(("•", "-")) for s in lines)
        if self.max_bullet_lines_ratio and bullets / len(lines) > self.max_bullet_lines_ratio:
            return False, "gopher_too_many_bullets"
        ell_lines = sum(s.rstrip().endswith(("...", "…")) for s in lines)
        if self.max_ellipsis_lines_ratio and ell_lines / len(lines) > self.max_ellipsis_lines_ratio:
            return False, "gopher_too_many_end_ellipsis"
        alpha = sum(c for w, c in counts.items() if w.isalpha() or any(ch.isalpha() for ch in w))
        if self.max_non_alpha_words_ratio and alpha / n_words < self.max_non_alpha_words_ratio:
            return False, "gopher_below_alpha_threshold"
        if self.min_stop_words and len(self.stop_words.intersection(counts)) < self.min_stop_words:
            return False, "gopher_enough_stop_words"
        return True


class FastC4QualityFilter(C4QualityFilter):
    """``C4QualityFilter`` (line rules, then >= ``min_num_sentences`` sentences; the kept lines become the text)."""

    def _sentences(self, line: str, at_most: int) -> int:
        count = getattr(self.language, "count_sentences", None)
        if count is None:
            return len(split_into_sentences(line, self.language))
        return max(1, count(line, at_most))

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        lines = (
            doc.text.splitlines() if self.split_paragraph else split_into_sentences(doc.text, self.language)
        )
        need = self.min_num_sentences
        num_sentences = 0
        kept_lines = []
        for line in lines:
            line = line.strip()
            words = line.split()
            self.stat_update("line-total")
            if self.max_word_length != -1 and any(len(word) > self.max_word_length for word in words):
                self.stat_update("line-filter-too_long_word")
                continue
            if self.remove_citations:
                line = CITATION_REGEX.sub("", line)
            if self.filter_no_terminal_punct and (
                not line.endswith(END_PUNCTUATION) or line.endswith(ELLIPSIS)
            ):
                self.stat_update("line-filter-no_terminal_punc")
                continue
            if len(words) < self.min_words_per_line:
                self.stat_update("line-filter-too_few_words")
                continue
            line_l = line.lower()
            if self.filter_lorem_ipsum and "lorem ipsum" in line_l:
                return False, "lorem_ipsum"
            if self.filter_javascript and "javascript" in line_l:
                self.stat_update("line-filter-javascript")
                continue
            if self.filter_curly_bracket and "{" in line:
                return False, "curly_bracket"
            if self.filter_policy and any(p in line_l for p in POLICY_SUBSTRINGS):
                self.stat_update("line-filter-policy")
                continue
            if need != -1 and num_sentences < need:
                num_sentences += self._sentences(line, need - num_sentences) if self.split_paragraph else 1
            kept_lines.append(line)
            self.stat_update("line-kept")
        if num_sentences < need:
            return False, "too_few_sentences"
        doc.text = ("\n" if self.split_paragraph else " ").join(kept_lines).strip()
        return True
