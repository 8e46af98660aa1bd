"""The cheaper Gopher/C4 filter twins against datatrove's own filters (every decision, and C4's edited text), on
real texts and generated ones; the spaCy-like tokenizer against spaCy; the FineWeb filter preset's drops."""

from __future__ import annotations

import copy
import random
import zipfile
from pathlib import Path

import pytest
from corpus.errors import CorpusError
from corpus.stages import document_steps
from corpus.steps.dedup import RegexWordTokenizer
from corpus.steps.extract import ExtractConfig
from corpus.steps.filters import FilterConfig, fineweb_filters, quality_filters
from corpus.steps.quality import (
    FastC4QualityFilter,
    FastGopherQualityFilter,
    FastGopherRepetitionFilter,
    GluedNGrams,
    NGrams,
    all_duplicate_chars,
)
from corpus.steps.tokens import REFERENCE_TOKEN_RE, SpacyLikeWordTokenizer
from datatrove.data import Document
from datatrove.pipeline.filters import C4QualityFilter, GopherQualityFilter, GopherRepetitionFilter
from datatrove.pipeline.filters.gopher_repetition_filter import find_all_duplicate
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

TOKENIZERS = {"whitespace": RegexWordTokenizer, "spacy-like": SpacyLikeWordTokenizer}


def _pairs(tok: object) -> list[tuple[object, object]]:
    """(datatrove's filter, our twin), with the settings the project and the FineWeb preset use."""
    return [
        (GopherRepetitionFilter(language=tok), FastGopherRepetitionFilter(language=tok)),
        (
            GopherQualityFilter(min_doc_words=None, max_doc_words=200_000, language=tok),
            FastGopherQualityFilter(min_doc_words=None, max_doc_words=200_000, language=tok),
        ),
        (GopherQualityFilter(language=tok), FastGopherQualityFilter(language=tok)),
        (
            C4QualityFilter(filter_no_terminal_punct=False, language=tok),
            FastC4QualityFilter(filter_no_terminal_punct=False, language=tok),
        ),
        (C4QualityFilter(language=tok), FastC4QualityFilter(language=tok)),
    ]


def _same_decisions(texts: list[str], tok: object) -> None:
    for slow, fast in _pairs(tok):
        for text in texts:
            a, b = Document(text=text, id="a"), Document(text=text, id="b")
            try:
                expected = slow.filter(a)
            except ZeroDivisionError:  # datatrove's Gopher quality on a text without words, minimum off
                expected = (False, "gopher_short_doc")
            assert fast.filter(b) == expected, (type(slow).__name__, text[:300])
            assert a.text == b.text  # C4 keeps the same lines


def reuters_texts(sample_data: Path, n: int) -> list[str]:
    """``n`` Reuters-21578 articles (real news text, never used to build the tokenizer's rules)."""
    with zipfile.ZipFile(sample_data / "english_text" / "reuters.zip") as z:
        names = sorted(x for x in z.namelist() if "/training/" in x or "/test/" in x)
        random.Random(0).shuffle(names)
        return [z.read(x).decode("latin-1") for x in names[:n]]


@pytest.fixture(scope="module")
def page_texts(sample_data: Path) -> list[str]:
    """Article texts of the first CC-NEWS mirror WARC, as the project's extractor gives them (before filters)."""
    from corpus.bench_pipeline import list_warcs
    from corpus.steps.warc import WarcRecordReader

    source = sample_data / "cc_news_mirror"
    reader = WarcRecordReader(str(source), list_warcs(source, 1))
    return [d.text for d in document_steps(ExtractConfig(), FilterConfig())[0](reader(None, 0, 1), 0, 1)]


@pytest.mark.parametrize("tok", sorted(TOKENIZERS))
def test_twins_decide_as_datatrove_on_real_texts(page_texts: list[str], sample_data: Path, tok: str) -> None:
    texts = page_texts + reuters_texts(sample_data, 150)
    assert len(page_texts) > 10
    _same_decisions(texts, TOKENIZERS[tok]())


_WORDS = st.sampled_from(
    ["a", "ab", "b", "ba", "the", "and", "of", ".", "...", "-", "•", "#", "…", "{", "7", "x.", "½", "１", "é"]
)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # numpy's mean of no words, in datatrove's filter
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(st.lists(_WORDS, max_size=12), st.sampled_from([" ", "\n", "\n\n", " \n "])), max_size=60
    )
)
def test_twins_decide_as_datatrove_on_generated_texts(parts: list[tuple[list[str], str]]) -> None:
    """Few distinct short words: many repeated n-grams, concatenations that collide ("ab"+"a" = "a"+"ba"), ties
    in the top n-gram, symbol-only words, bullet and ellipsis lines."""
    text = "".join(" ".join(words) + sep for words, sep in parts)
    for tok in TOKENIZERS.values():
        _same_decisions([text], tok())


@given(
    st.lists(st.text(alphabet="ab .", max_size=4), max_size=30), st.integers(1, 6), st.sampled_from(["", " "])
)
def test_ngram_slices_equal_joins(words: list[str], n: int, sep: str) -> None:
    expected = [sep.join(words[i : i + n]) for i in range(len(words) - n + 1)]
    assert NGrams(words, sep)(n) == expected


@settings(max_examples=500)
@given(
    st.lists(st.sampled_from(["a", "ab", "b", "ba", "the", "é", "１", "½"]), max_size=80), st.integers(2, 10)
)
def test_duplicate_ngram_chars_equal_datatrove(words: list[str], n: int) -> None:
    """The hashed count and the plain walk against datatrove's ``find_all_duplicate`` (with "".join keys)."""
    expected = find_all_duplicate(words, n)
    assert GluedNGrams(words).duplicate_chars(n) == expected == all_duplicate_chars(NGrams(words, "")(n), n)


def test_spacy_like_tokens_follow_spacys_rules() -> None:
    tok = SpacyLikeWordTokenizer()
    assert tok.word_tokenize("John F. Kennedy met Mr. Smith in the U.S. on 5:30 a.m.") == [
        "John", "F.", "Kennedy", "met", "Mr.", "Smith", "in", "the", "U.S.", "on", "5:30", "a.m.",
    ]  # fmt: skip
    assert tok.word_tokenize("COVID-19 hit 2019-2020: a well-known $5.50 (10%) \"fact\", isn't it?") == [
        "COVID-19", "hit", "2019", "-", "2020", ":", "a", "well", "-", "known", "$", "5.50", "(", "10", "%", ")",
        '"', "fact", '"', ",", "is", "n't", "it", "?",
    ]  # fmt: skip
    assert tok.word_tokenize("It's O'Neill's. See https://x.org/a?b=1. Mail a@b.com or @user; AT&T cannot.") == [
        "It", "'s", "O'Neill", "'s", ".", "See", "https://x.org/a?b=1", ".", "Mail", "a@b.com", "or", "@user",
        ";", "AT&T", "can", "not", ".",
    ]  # fmt: skip
    assert tok.sent_tokenize('One here. Two there! "Three?" Four...') == [
        "One here.",
        'Two there! "',
        'Three?"',
        "Four...",
    ]  # fmt: skip  (as spaCy's sentencizer: an opening quote after "!" stays with that sentence)
    text = "Go on. Do it. Be it. So be it. We go. You go."
    assert tok.count_sentences(text, 100) == len(tok.sent_tokenize(text)) == 6
    assert tok.count_sentences(text, 3) == 3


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["can", "cannot", "n't", "'s", "U.S.", "Mr.", "a", "é", "7", ".", ",", "-", "@",
                                 "www.", "://", "'", "’", "F.", "e.g.", "x@y.z", " ", "\n", "\t"]), max_size=40))  # fmt: skip
def test_tokenizer_fast_path_equals_the_rules(parts: list[str]) -> None:
    text = "".join(parts)
    assert SpacyLikeWordTokenizer().word_tokenize(text) == REFERENCE_TOKEN_RE.findall(text)


def test_tokenizer_fast_path_equals_the_rules_on_news(page_texts: list[str], sample_data: Path) -> None:
    tok = SpacyLikeWordTokenizer()
    for text in page_texts + reuters_texts(sample_data, 300):
        assert tok.word_tokenize(text) == REFERENCE_TOKEN_RE.findall(text)


def test_spacy_like_tokens_agree_with_spacy_on_news(sample_data: Path) -> None:
    """Held-out agreement with datatrove's spaCy tokenizer on 300 Reuters articles: >= 99.5% of tokens (as
    multisets) and the same sentence count on >= 98% of articles."""
    pytest.importorskip("spacy")
    from collections import Counter

    from datatrove.utils.word_tokenizers import load_word_tokenizer

    spacy_tok, ours = load_word_tokenizer("en"), SpacyLikeWordTokenizer()
    texts = reuters_texts(sample_data, 300)
    common = total = same_sents = 0
    for text in texts:
        a, b = Counter(spacy_tok.word_tokenize(text)), Counter(ours.word_tokenize(text))
        common += sum((a & b).values())
        total += max(sum(a.values()), sum(b.values()))
        same_sents += len(spacy_tok.sent_tokenize(text)) == len(ours.sent_tokenize(text))
    assert common / total >= 0.995 and same_sents / len(texts) >= 0.98


ARTICLE = (
    "The council met on Tuesday to discuss the harbour budget and the plans for the new ferry terminal. "
    "Members of the public asked why the project had been delayed for so long, and what it would cost. "
    "The mayor said that the contract would be signed before the end of the year, and that the work would "
    "start in the spring. The opposition said that the figures did not add up and asked for an audit."
)


def test_fineweb_preset_drops_what_fineweb_drops() -> None:
    """C4's >= 5 sentences and Gopher's alpha rule on spaCy-like words: both keep what the project keeps."""
    project, fineweb = quality_filters(FilterConfig()), quality_filters(fineweb_filters())

    def first_drop(filters: list, text: str) -> object:
        doc = Document(text=text, id="x")
        for f in filters:
            res = f.filter(doc)
            if res is not True:
                return res
        return True

    assert first_drop(project, ARTICLE) is True  # four sentences
    assert first_drop(fineweb, ARTICLE) == (False, "too_few_sentences")
    five = ARTICLE + " The vote was postponed until next week."
    assert first_drop(fineweb, five) is True
    figures = " ".join(
        f"In {2000 + i}, sales rose by {i}.5% (to ${i}.2bn), said Mr. Smith." for i in range(4)
    )
    # 94% of whitespace words hold a letter, 72-74% of spaCy's (and ours): every mark is a word of its own
    assert first_drop(project, five + " " + figures) is True
    assert first_drop(fineweb, five + " " + figures) == (False, "gopher_below_alpha_threshold")
    assert first_drop(fineweb, "Too short, but complete. " * 2) == (False, "gopher_short_doc")


def test_fineweb_preset_stage_and_unknown_tokenizer() -> None:
    names = [type(s).__name__ for s in document_steps(ExtractConfig(), fineweb_filters())]
    assert names == [
        "ArticleExtractor", "EnglishFilter", "FastGopherQualityFilter", "FastGopherRepetitionFilter",
        "FastC4QualityFilter",
    ]  # fmt: skip
    assert "LengthFilter" in [type(s).__name__ for s in document_steps(ExtractConfig(), FilterConfig())]
    with pytest.raises(CorpusError, match="unknown word_tokenizer"):
        FilterConfig(word_tokenizer="nltk")


def test_twins_on_odd_characters() -> None:
    """A lone surrogate (an undecodable byte kept by a lenient decoder), NUL and astral characters."""
    odd = " ".join(["\ud800 a", "\x00", "𝔘𝔫𝔦", "a \ud800"] * 40)
    _same_decisions([odd, ARTICLE + " " + odd], SpacyLikeWordTokenizer())
    _same_decisions([odd], RegexWordTokenizer())


def test_c4_twin_keeps_the_same_lines() -> None:
    text = ARTICLE + "\nPlease enable JavaScript to view comments.\nShare\n" + ARTICLE
    a, b = Document(text=text, id="a"), Document(text=copy.copy(text), id="b")
    tok = SpacyLikeWordTokenizer()
    assert C4QualityFilter(filter_no_terminal_punct=False, language=tok).filter(a) is True
    assert FastC4QualityFilter(filter_no_terminal_punct=False, language=tok).filter(b) is True
    assert a.text == b.text == ARTICLE + "\n" + ARTICLE
