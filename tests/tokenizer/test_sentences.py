"""Sentence boundaries: they partition the text, and the fast whole-document path gives exactly the ids and
sentence lengths of encoding each sentence on its own (the slow obvious reference)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from tokenizer import Tokenizer
from tokenizer.encode.documents import encode_by_sentence, encode_document, encode_documents
from tokenizer.encode.sentences import sentence_offsets, split_sentences


def test_examples():
    assert split_sentences("Hi there. Bye.") == ["Hi there.", " Bye."]
    text = 'He said "Stop!" Then left.\n\nNew para\nline two.  Mr. Smith came? J. R. R. Tolkien wrote.'
    assert split_sentences(text) == [
        'He said "Stop!"',
        " Then left.",
        "\n\nNew para\nline two.",
        "  Mr. Smith came?",
        " J. R. R. Tolkien wrote.",
    ]
    assert split_sentences("") == [] and sentence_offsets("") == [0]


_TRICKY = list("ab .!?\"')]\n\t\r1é😀MrsJeg”’") + [
    "\xa0",
    "\x1c",
    "\u3000",
    "\x0b",
    "Mr.",
    "e.g.",
    "\n\n",
    ". ",
]


@settings(max_examples=400, deadline=None)
@given(text=st.lists(st.sampled_from(_TRICKY), max_size=40).map("".join))
def test_partition_and_fast_path_equals_per_sentence(roberta: Tokenizer, text: str):
    parts = split_sentences(text)
    assert "".join(parts) == text
    ids, lens = encode_document(roberta, text)
    ref_ids, ref_lens = encode_by_sentence(roberta, text)
    assert ids.tolist() == ref_ids.tolist() == roberta.encode(text)
    assert lens.tolist() == ref_lens.tolist()
    assert int(lens.sum()) == len(ids)


def test_real_documents_fast_path_equals_reference(roberta: Tokenizer, small_docs):
    texts = [t for _, t in small_docs]
    batch = encode_documents(roberta, texts)
    assert int(batch.sents_per_doc.sum()) == len(batch.sent_lens) > 5_000
    for text, (ids, lens) in zip(texts, batch.documents(), strict=True):
        ref_ids, ref_lens = encode_by_sentence(roberta, text)
        assert np.array_equal(ids, ref_ids) and np.array_equal(lens, ref_lens)
        pieces = np.split(ids, np.cumsum(lens)[:-1])
        assert [roberta.decode(p) for p in pieces] == split_sentences(text)


@settings(max_examples=200, deadline=None)
@given(texts=st.lists(st.lists(st.sampled_from(_TRICKY), min_size=1, max_size=20).map("".join), max_size=6))
def test_batch_of_documents_equals_each_alone(roberta: Tokenizer, texts: list[str]):
    """Documents sharing a batch never share a sentence (no boundary leaks across documents)."""
    batch = encode_documents(roberta, texts)
    assert len(batch.sents_per_doc) == len(texts)
    for text, (ids, lens) in zip(texts, batch.documents(), strict=True):
        ref_ids, ref_lens = encode_by_sentence(roberta, text)
        assert ids.tolist() == ref_ids.tolist() and lens.tolist() == ref_lens.tolist()
