"""The fast encoder gives RobertaTokenizerFast's ids exactly: on all real English text, on hand-picked hard
strings (whitespace runs, emoji, mixed scripts, control characters) and on random strings; decode inverts it."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tokenizer import Tokenizer
from tokenizer.inputs import iter_documents

HARD = [
    "",
    " ",
    "   leading and trailing   ",
    "tabs\t\tand\n\n\nnewlines \n \n\r\n\r\r end",
    "emoji 😀👍🏽👨‍👩‍👧 flags 🇫🇷 keycap 1️⃣",
    "mixed 中文字符 日本語のテキスト 한국어 العربية עברית русский ελληνικά हिन्दी",
    "control \x00\x01\x07\x08\x0b\x0c\x1b\x1c\x1d\x1e\x1f\x7f\x85 chars",
    "unicode spaces \xa0\u1680\u2000\u2001\u2009\u200a\u2028\u2029\u202f\u205f\u3000 zero-width \u200b\u200c\u200d\ufeff",
    "contractions it's we'll they're I'VE don't 'S",
    "numbers 1234567890 3.14159 1,000,000 ½ ² ٣",
    "combining e\u0301 a\u0308 Zalgo Z\u0351\u0352\u0353",
    "private use \ue000 and astral \U0001d400\U0010fffd",
    "<s>literal specials</s> <mask> <pad> <unk> <|endoftext|>",
    "x" * 5000,
    " " * 1000 + "a",
]


def _ref(hf_roberta, texts: list[str]) -> list[list[int]]:
    return hf_roberta(texts, add_special_tokens=False, split_special_tokens=True)["input_ids"]


def _assert_same(roberta: Tokenizer, hf_roberta, texts: list[str], keys: list[str]) -> None:
    ours = roberta.encode_batch(texts)
    ref = _ref(hf_roberta, texts)
    for key, text, a, b in zip(keys, texts, ours, ref, strict=True):
        assert a == b, f"ids differ on {key}"
        assert roberta.decode(a) == text, f"decode(encode(x)) != x on {key}"


def test_hard_strings(roberta: Tokenizer, hf_roberta, hf_plain):
    _assert_same(roberta, hf_roberta, HARD, [repr(h[:40]) for h in HARD])
    for text in HARD:
        assert roberta.encode(text) == hf_plain.encode(text, add_special_tokens=False).ids


def test_every_code_point_in_context(roberta: Tokenizer, hf_roberta):
    """Each code point of the BMP's first 0x3400 (Latin..CJK punctuation, all controls), next to letters,
    digits, spaces and punctuation, so each regex class boundary is crossed."""
    chars = [chr(c) for c in range(0x3400) if not 0xD800 <= c < 0xE000]
    texts = [f"a{c}b {c}1{c} {c}{c}.{c}\n{c} " for c in chars]
    _assert_same(roberta, hf_roberta, texts, [hex(ord(c)) for c in chars])


def test_real_documents(roberta: Tokenizer, hf_roberta, small_docs: list[tuple[str, str]]):
    """Inaugural addresses + web text (~2.5 MB, 60+ docs): identical ids, exact round trip."""
    _assert_same(roberta, hf_roberta, [t for _, t in small_docs], [k for k, _ in small_docs])


@pytest.mark.slow
def test_all_of_english_text(roberta: Tokenizer, hf_roberta, english_zips: list[Path]):
    """~36 MB of real text, 12,900+ documents: identical ids and exact round trip on every document."""
    docs = list(iter_documents(english_zips))
    assert len(docs) > 12_000
    for i in range(0, len(docs), 2000):
        batch = docs[i : i + 2000]
        _assert_same(roberta, hf_roberta, [t for _, t in batch], [k for k, _ in batch])


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=200))
def test_property_roundtrip_and_same_ids_as_hf(roberta: Tokenizer, hf_plain, text: str):
    ids = roberta.encode(text)
    assert roberta.decode(ids) == text
    assert ids == hf_plain.encode(text, add_special_tokens=False).ids


_WS_HEAVY = st.text(alphabet=st.sampled_from(list(" \t\n\r\x0b\x0c\x85\xa0\u3000a.'1é😀中")), max_size=60)


@settings(max_examples=300, deadline=None)
@given(text=_WS_HEAVY)
def test_property_whitespace_heavy(roberta: Tokenizer, hf_plain, text: str):
    ids = roberta.encode(text)
    assert roberta.decode(ids) == text
    assert ids == hf_plain.encode(text, add_special_tokens=False).ids


@pytest.mark.parametrize("ids", [[31414, 232], []])
def test_decode_accepts_numpy(roberta: Tokenizer, ids):
    import numpy as np

    assert roberta.decode(np.asarray(ids, dtype=np.uint16)) == roberta.decode(ids)
