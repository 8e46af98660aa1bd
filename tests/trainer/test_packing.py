"""FULL-SENTENCES packing: blocks fit, hold whole sentences in order, and separate documents with </s>."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from tokenizer import TokenShard, open_shards
from trainer.data import (
    BlockDataset,
    Sampler,
    Specials,
    derive_batch,
    pack_full_sentences,
    split_long,
)
from trainer.errors import TrainerError
from trainer.formats import FullSentences

SP = Specials(bos=0, pad=1, eos=2, unk=3, mask=99)


def reference_pack(sent_lens: list[int], doc_starts: set[int], budget: int) -> list[tuple[int, int]]:
    """Obvious per-sentence greedy packing (the slow reference): returns spans in sentence indices."""
    spans, i, n = [], 0, len(sent_lens)
    while i < n:
        used, j = sent_lens[i], i + 1
        while j < n and used + sent_lens[j] + (j in doc_starts) <= budget:
            used += sent_lens[j] + (j in doc_starts)
            j += 1
        spans.append((i, j))
        i = j
    return spans


def make_shard(docs: list[list[int]], rng: np.random.Generator) -> TokenShard:
    sent_lens = [n for d in docs for n in d]
    sents = np.concatenate([[0], np.cumsum(sent_lens)]).astype(np.int64)
    doc_sent_idx = np.concatenate([[0], np.cumsum([len(d) for d in docs])])
    tokens = rng.integers(4, 99, size=int(sents[-1])).astype(np.uint16)
    return TokenShard(name="t", tokens=tokens, docs=sents[doc_sent_idx], sents=sents)


docs_strategy = st.lists(st.lists(st.integers(1, 30), min_size=1, max_size=6), min_size=1, max_size=25)


@settings(max_examples=60, deadline=None)
@given(docs=docs_strategy, seq_len=st.integers(8, 40))
def test_pack_matches_reference_and_keeps_boundaries(docs: list[list[int]], seq_len: int) -> None:
    # cut long sentences first, as the packer does, so the reference sees the same sentence list
    budget = seq_len - 2
    docs = [
        [x for n in d for x in ([budget] * (n // budget) + ([n % budget] if n % budget else []))]
        for d in docs
    ]
    shard = make_shard(docs, np.random.default_rng(0))
    fmt = FullSentences(seq_len, SP)
    spans = fmt.index(shard)
    sent_lens = [n for d in docs for n in d]
    doc_starts = set(np.cumsum([0] + [len(d) for d in docs])[:-1].tolist())
    ref = reference_pack(sent_lens, doc_starts, budget)
    sents = shard.sents
    assert [(int(a), int(b)) for a, b in spans] == [(int(sents[i]), int(sents[j])) for i, j in ref]
    # every block: <s> ... </s>, fits, and its </s>-free body is exactly the covered token span
    covered = []
    for span in spans:
        block = fmt.block(shard, span)
        assert len(block) <= seq_len and block[0] == SP.bos and block[-1] == SP.eos
        body = block[1:-1]
        seps = np.flatnonzero(body == SP.eos)
        expected_docs = [d - span[0] for d in shard.docs if span[0] < d < span[1]]
        assert list(seps - np.arange(len(seps))) == expected_docs  # a separator exactly at each doc start
        assert np.array_equal(np.delete(body, seps), shard.tokens[span[0] : span[1]])
        covered.append(span)
    assert covered[0][0] == 0 and covered[-1][1] == len(shard.tokens)
    assert all(a[1] == b[0] for a, b in zip(covered, covered[1:], strict=False))


def test_long_sentence_is_cut_not_dropped() -> None:
    shard = make_shard([[5, 50, 3]], np.random.default_rng(1))
    spans = pack_full_sentences(shard.sents, shard.docs, budget=14)
    assert spans[0][0] == 0 and spans[-1][1] == 58
    assert all(b - a <= 14 for a, b in spans)


def test_real_shards_blocks_start_on_sentences(reuters_shards: tuple[Path, Path]) -> None:
    shards, _ = reuters_shards
    ds = BlockDataset.open(shards, "train", seq_len=64)
    shard_objs = open_shards(shards, "train")
    starts = set()
    for i, s in enumerate(shard_objs):
        starts |= {(i, int(x)) for x in split_long(np.asarray(s.sents), 62)}  # long ones are cut
    for i in range(0, len(ds), 7):
        assert (int(ds.shard_of[i]), int(ds.spans[i][0])) in starts
    batch = ds.batch(np.arange(16))
    assert batch.shape == (16, 64) and (batch[:, 0] == 0).all()
    assert ds.block(0).tolist() == batch[0][: len(ds.block(0))].tolist()
    # blocks are well filled: padding is at most a sentence's worth
    assert (batch != 1).sum() / batch.size > 0.6


def test_sampler_chunks_are_world_size_invariant() -> None:
    one = Sampler(101, seed=3, batch_size=8, micro_batch=4, world=1)
    two = Sampler(101, seed=3, batch_size=8, micro_batch=4, world=2)
    for step in (0, 5, 12, 13):  # 13*8 crosses the epoch boundary
        a = np.concatenate([one.chunk(step, k, 0) for k in range(2)])
        b = np.concatenate([two.chunk(step, 0, r) for r in range(2)])
        assert np.array_equal(a, b)
    seen = np.concatenate([one.chunk(s, k, 0) for s in range(13) for k in range(2)])[:101]
    assert sorted(seen.tolist()) == list(range(101))  # one epoch is a permutation


def test_derive_batch_errors() -> None:
    assert derive_batch(32, 8, 2) == (8, 2)
    assert derive_batch(8, 16, 2) == (4, 1)
    try:
        derive_batch(30, 8, 2)
    except TrainerError as e:
        assert "not divisible" in str(e)
    else:
        raise AssertionError("no error")
