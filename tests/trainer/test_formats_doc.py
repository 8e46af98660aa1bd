"""DOC-SENTENCES batch construction: blocks never cross documents, and the dynamic batch size keeps tokens per
step at the FULL-SENTENCES budget (variable sequence counts, every block once per epoch, rank invariance)."""

from __future__ import annotations

import numpy as np
import pytest
from format_fixtures import SP, doc_of, make_shard, random_docs
from hypothesis import given, settings
from hypothesis import strategies as st
from trainer.data import BlockDataset, TokenBudgetSampler, split_long
from trainer.errors import TrainerError
from trainer.formats import (
    DocSentences,
    FullSentences,
    SentencePair,
    block_lengths,
    full_sentences_lengths,
    matched_batch_size,
)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**16), seq_len=st.sampled_from([8, 16, 64, 128]))
def test_doc_sentences_never_cross_documents(seed: int, seq_len: int) -> None:
    shard = make_shard(random_docs(np.random.default_rng(seed)))
    spans = DocSentences(seq_len, SP).index(shard)
    pieces = set(split_long(np.asarray(shard.sents), seq_len - 2).tolist())
    assert spans[0, 0] == 0 and spans[-1, 1] == shard.docs[-1]
    assert (spans[1:, 0] == spans[:-1, 1]).all(), "blocks tile the shard: nothing dropped or repeated"
    for s, e in spans.tolist():
        assert s in pieces and e in pieces, "blocks are runs of whole sentences"
        assert e - s <= seq_len - 2
        assert doc_of(shard, s) == doc_of(shard, e - 1), "no block crosses a document boundary"
    # greedy: a block stops early only at a document end or when the next sentence does not fit
    docs = set(np.asarray(shard.docs).tolist())
    ordered = sorted(pieces)
    for s, e in spans.tolist():
        nxt = ordered[ordered.index(e) + 1] if e != ordered[-1] else None
        assert e in docs or nxt is None or nxt - s > seq_len - 2


def test_doc_blocks_are_shorter_than_full_sentences() -> None:
    shard = make_shard(random_docs(np.random.default_rng(2), n_docs=80))
    doc = BlockDataset([shard], DocSentences(64, SP), 64, SP.pad)
    full = BlockDataset([shard], FullSentences(64, SP), 64, SP.pad)
    assert len(doc) > len(full)
    assert (block_lengths(doc) == [len(doc.block(i)) for i in range(len(doc))]).all()
    assert (full_sentences_lengths([shard], 64) == [len(full.block(i)) for i in range(len(full))]).all()


def sampler(lengths: np.ndarray, target: int, accum: int = 1, world: int = 1) -> TokenBudgetSampler:
    return TokenBudgetSampler(lengths, seed=7, tokens_per_step=target, accum=accum, world=world)


def test_dynamic_batches_match_the_token_budget() -> None:
    lengths = np.random.default_rng(0).integers(5, 65, size=500)
    target = 16 * 60
    s = sampler(lengths, target)
    steps_per_epoch = int(lengths.sum()) // target
    seen, sizes = [], []
    for step in range(steps_per_epoch):
        blocks = s.step_blocks(step)
        seen.append(blocks)
        sizes.append(len(blocks))
        # blocks start inside the window, so the step's tokens differ from the target by < one block
        assert abs(int(lengths[blocks].sum()) - target) < lengths.max()
    assert len(set(sizes)) > 1, "the number of sequences per step varies"
    flat = np.concatenate(seen)
    assert len(np.unique(flat)) == len(flat), "no block twice within an epoch"
    # mean tokens per step over the epoch is the target (windows tile the token stream)
    assert abs(lengths[flat].sum() / steps_per_epoch - target) < lengths.max() / 2 + 1


def test_dynamic_batches_cross_epochs_and_resume() -> None:
    lengths = np.random.default_rng(1).integers(5, 65, size=50)
    s = sampler(lengths, 300)
    steps = [s.step_blocks(k) for k in range(40)]  # ~7 epochs
    again = sampler(lengths, 300)  # a fresh sampler (a resumed run) gives the same steps in any order
    assert all(np.array_equal(again.step_blocks(k), steps[k]) for k in reversed(range(40)))
    per_epoch = int(lengths.sum())
    assert s.epoch(40) == pytest.approx(40 * 300 / per_epoch)


def test_dynamic_chunks_are_world_size_invariant() -> None:
    lengths = np.random.default_rng(2).integers(5, 65, size=300)
    one = sampler(lengths, 1000, accum=2, world=1)
    two = sampler(lengths, 1000, accum=1, world=2)
    for step in range(5):
        a = [one.chunk(step, k, 0) for k in range(2)]
        b = [two.chunk(step, 0, r) for r in range(2)]
        assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
        assert np.array_equal(np.concatenate(a), one.step_blocks(step))


def test_budget_below_longest_block_is_an_error() -> None:
    with pytest.raises(TrainerError, match="below the longest block"):
        sampler(np.array([10, 100]), 50)


def test_sentence_pair_batch_is_raised_to_match_tokens() -> None:
    shard = make_shard(random_docs(np.random.default_rng(3), n_docs=80))
    full_mean = float(full_sentences_lengths([shard], 128).mean())
    pairs = BlockDataset([shard], SentencePair(128, SP), 128, SP.pad)
    b = matched_batch_size(pairs, full_mean, 32, multiple=4)
    assert b > 32 and b % 4 == 0
    pair_mean = float(block_lengths(pairs).mean())
    assert abs(b * pair_mean - 32 * full_mean) <= 4 * pair_mean
