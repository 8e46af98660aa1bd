"""SEGMENT-PAIR+NSP and SENTENCE-PAIR+NSP batch construction: segment boundaries, NSP labels 50/50 (B from the
same document contiguously vs another document), the pair layout, and the NSP head's loss."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from format_fixtures import SP, doc_of, make_shard, random_docs
from hypothesis import given, settings
from hypothesis import strategies as st
from trainer.config import ModelConfig
from trainer.data import BlockDataset, split_long
from trainer.errors import TrainerError
from trainer.formats import SegmentPair, SentencePair, nsp_labels
from trainer.model import Roberta


def check_common(shard, rows: np.ndarray, budget: int, piece: int) -> None:
    """Sentences longer than ``piece`` tokens are cut into pieces first; pieces count as sentences."""
    sents = set(split_long(np.asarray(shard.sents), piece).tolist())
    for a_s, a_e, b_s, b_e, y in rows.tolist():
        assert a_e > a_s and b_e > b_s, "both segments non-empty"
        assert (a_e - a_s) + (b_e - b_s) <= budget
        assert a_s in sents, "A starts on a sentence"
        assert doc_of(shard, a_s) == doc_of(shard, a_e - 1), "A stays in one document"
        assert doc_of(shard, b_s) == doc_of(shard, b_e - 1), "B stays in one document"
        if y == 1:
            assert b_s == a_e, "true next: B continues A contiguously"
            assert doc_of(shard, b_s) == doc_of(shard, a_s)
        else:
            assert doc_of(shard, b_s) != doc_of(shard, a_s), "random next: B from another document"
            assert b_s in sents, "random B starts on a sentence"
    n, ones = len(rows), int(rows[:, 4].sum())
    assert ones == (n + 1) // 2, "exactly half of the pairs are true continuations"


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**16), seq_len=st.sampled_from([16, 32, 64, 128]))
def test_segment_pair_boundaries_and_labels(seed: int, seq_len: int) -> None:
    shard = make_shard(random_docs(np.random.default_rng(seed)))
    fmt = SegmentPair(seq_len, SP, seed=seed)
    rows = fmt.index(shard)
    assert len(rows) > 0
    check_common(shard, rows, seq_len - 4, seq_len - 4)
    # a true-next B ends on a sentence boundary (segments are runs of whole sentences)
    sents = set(split_long(np.asarray(shard.sents), seq_len - 4).tolist())
    assert all(b_e in sents for _, _, _, b_e, y in rows.tolist() if y == 1)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**16), seq_len=st.sampled_from([16, 64, 128]))
def test_sentence_pair_is_one_sentence_each(seed: int, seq_len: int) -> None:
    shard = make_shard(random_docs(np.random.default_rng(seed), max_len=50))
    fmt = SentencePair(seq_len, SP, seed=seed)
    rows = fmt.index(shard)
    half = (seq_len - 4) // 2
    check_common(shard, rows, seq_len - 4, half)
    sents = split_long(np.asarray(shard.sents), half)
    for a_s, a_e, b_s, b_e, _ in rows.tolist():
        # A is a sentence (or a <= half-budget piece of a long one): no sentence start strictly inside it
        assert not np.any((sents > a_s) & (sents < a_e))
        assert not np.any((sents > b_s) & (sents < b_e))
        assert a_e - a_s <= half and b_e - b_s <= half


def test_pair_block_layout_and_dataset_labels() -> None:
    shard = make_shard(random_docs(np.random.default_rng(0), n_docs=60))
    fmt = SegmentPair(64, SP, seed=3)
    ds = BlockDataset([shard], fmt, 64, SP.pad)
    row = ds.spans[0]
    block = ds.block(0)
    a = np.asarray(shard.tokens[row[0] : row[1]])
    b = np.asarray(shard.tokens[row[2] : row[3]])
    assert block.tolist() == [SP.bos, *a.tolist(), SP.eos, SP.eos, *b.tolist(), SP.eos]
    assert (fmt.lengths(ds.spans) == [len(ds.block(i)) for i in range(len(ds))]).all()
    batch = ds.batch(np.arange(8))
    assert batch.shape == (8, 64)
    idx = np.arange(len(ds))
    assert nsp_labels(ds, idx).tolist() == ds.spans[:, 4].tolist()
    assert abs(nsp_labels(ds, idx).mean() - 0.5) <= 1 / len(ds)


def test_pairing_is_deterministic_per_seed() -> None:
    shard = make_shard(random_docs(np.random.default_rng(1)))
    one = SegmentPair(64, SP, seed=5).index(shard)
    assert (one == SegmentPair(64, SP, seed=5).index(shard)).all()
    assert not np.array_equal(one, SegmentPair(64, SP, seed=6).index(shard))


def test_single_document_shard_is_a_clear_error() -> None:
    shard = make_shard([[10, 10, 10, 10]])
    with pytest.raises(TrainerError, match="at least 2 documents"):
        SegmentPair(32, SP).index(shard)


def test_nsp_loss_matches_separate_reference() -> None:
    torch.manual_seed(0)
    cfg = ModelConfig(
        vocab_size=1000,
        hidden=32,
        layers=2,
        heads=2,
        ffn=64,
        max_positions=40,
        nsp=True,
        dropout=0.0,
        attn_dropout=0.0,
    )
    model = Roberta(cfg).eval()
    ids = torch.randint(4, 999, (3, 20))
    labels = torch.full_like(ids, -100)
    labels[:, 3] = ids[:, 3]
    y = torch.tensor([1, 0, 1])
    mlm, nsp = model(ids, labels=labels, nsp_labels=y)
    assert torch.allclose(mlm, model(ids, labels=labels), atol=1e-5)
    pooled = torch.tanh(model.nsp_head.pooler(model.encode(ids)[:, 0]))
    ref = F.cross_entropy(model.nsp_head.classifier(pooled), y, reduction="sum")
    assert torch.allclose(nsp, ref, atol=1e-5)
    assert Roberta(ModelConfig(vocab_size=100, hidden=32, layers=1, heads=2, ffn=64)).nsp_head is None
