"""Sentence boundaries: they partition the text, and the fast whole-document path gives exactly the ids and
sentence lengths of encoding each sentence on its own (the slow obvious reference)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from tokenizer import Tokenizer
from tokenizer.encode import encode_by_sentence, encode_document
from tokenizer.sentences import sentence_offsets, split_sentences


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


@settings(max_examples=200, deadline=None)
@given(text=st.text(alphabet=st.sampled_from(list("ab .!?\"')\n\t\r1é😀")), max_size=80))
def test_partition_and_fast_path_equals_per_sentence(roberta: Tokenizer, text: str):
    parts = split_sentences(text)
    assert "".join(parts) == text
    ids, lens = encode_document(roberta, text, roberta.token_byte_lengths())
    ref_ids, ref_lens = encode_by_sentence(roberta, text)
    assert ids.tolist() == ref_ids.tolist() == roberta.encode(text)
    assert lens.tolist() == ref_lens.tolist()
    assert int(lens.sum()) == len(ids)


def test_real_documents_fast_path_equals_reference(roberta: Tokenizer, small_docs):
    byte_lens = roberta.token_byte_lengths()
    n_sents = 0
    for _, text in small_docs:
        ids, lens = encode_document(roberta, text, byte_lens)
        ref_ids, ref_lens = encode_by_sentence(roberta, text)
        assert np.array_equal(ids, ref_ids) and np.array_equal(lens, ref_lens)
        pieces = np.split(ids, np.cumsum(lens)[:-1])
        assert [roberta.decode(p) for p in pieces] == split_sentences(text)
        n_sents += len(lens)
    assert n_sents > 5_000
