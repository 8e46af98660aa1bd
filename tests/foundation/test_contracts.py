"""Each artifact contract: write with the owner's writer, read back with its reader, reject corruption."""

from __future__ import annotations

import json

import numpy as np
import pytest
from benchmarks.results import BenchResult, ResultFormatError, read_result, write_result
from corpus.formats import CorpusFormatError, read_documents, read_stats, write_shard, write_stats
from hypothesis import given, settings
from hypothesis import strategies as st
from tokenizer.shards import (
    ShardError,
    open_shards,
    read_shards,
    verify_shards,
    write_manifest,
    write_token_shard,
)


@settings(max_examples=30, deadline=None)
@given(texts=st.lists(st.text(min_size=1, max_size=100), min_size=1, max_size=5))
def test_corpus_shard_roundtrip(tmp_path_factory, texts):
    out = tmp_path_factory.mktemp("corpus")
    docs = [
        {"id": f"d{i}", "text": t, "url": f"http://x/{i}", "date": "2017-01-02", "source": "cc-news"}
        for i, t in enumerate(texts)
    ]
    assert write_shard(out / "00000.jsonl.zst", docs) == len(docs)
    assert list(read_documents(out)) == docs


def test_corpus_rejects_missing_field_and_bad_json(tmp_path):
    with pytest.raises(CorpusFormatError, match="url"):
        write_shard(tmp_path / "a.jsonl.zst", [{"id": "1", "text": "x", "date": "d", "source": "s"}])
    assert not (tmp_path / "a.jsonl.zst").exists()  # atomic: nothing half-written is left
    (tmp_path / "b.jsonl").write_text("{not json\n")
    with pytest.raises(CorpusFormatError, match="not valid JSON"):
        list(read_documents(tmp_path / "b.jsonl"))
    with pytest.raises(CorpusFormatError, match="no .jsonl.zst shards"):
        list(read_documents(tmp_path / "empty-dir-*"))


def test_corpus_stats_roundtrip(tmp_path):
    write_stats(tmp_path, {"records_read": 10, "kept": 3, "dropped": {"lang": 7}})
    assert read_stats(tmp_path)["dropped"] == {"lang": 7}
    (tmp_path / "stats.json").write_text(json.dumps({"format": "other", "version": 9}))
    with pytest.raises(CorpusFormatError):
        read_stats(tmp_path)


def _docs(rng: np.random.Generator, n: int, vocab: int) -> list[list[np.ndarray]]:
    return [
        [rng.integers(0, vocab, rng.integers(1, 20)) for _ in range(rng.integers(1, 4))] for _ in range(n)
    ]


@pytest.mark.parametrize("vocab", [50265, 70000])
def test_token_shards_roundtrip(tmp_path, vocab):
    rng = np.random.default_rng(0)
    train, valid = _docs(rng, 7, vocab), _docs(rng, 2, vocab)
    splits = {
        "train": [
            write_token_shard(tmp_path, "train-00000", train[:4], vocab),
            write_token_shard(tmp_path, "train-00001", train[4:], vocab),
        ],
        "valid": [write_token_shard(tmp_path, "valid-00000", valid, vocab)],
    }
    write_manifest(tmp_path, vocab_size=vocab, splits=splits)
    verify_shards(tmp_path)
    got = list(read_shards(tmp_path, "train"))
    assert [g.tolist() for g in got] == [np.concatenate(d).tolist() for d in train]
    shard = open_shards(tmp_path, "valid")[0]
    assert shard.tokens.dtype == (np.uint16 if vocab <= 65536 else np.uint32)
    # sentence offsets include every document start
    assert set(shard.docs.tolist()) <= set(shard.sents.tolist())
    assert len(shard.sents) - 1 == sum(len(d) for d in valid)


def test_token_shards_detect_corruption(tmp_path):
    rng = np.random.default_rng(1)
    entry = write_token_shard(tmp_path, "train-00000", _docs(rng, 5, 100), 100)
    write_manifest(tmp_path, vocab_size=100, splits={"train": [entry]})
    path = tmp_path / "train-00000.tokens.npy"
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ShardError, match="checksum mismatch"):
        verify_shards(tmp_path)
    path.write_bytes(bytes(data[:-4]))  # truncated: caught by the size check even without checksums
    with pytest.raises(ShardError):
        open_shards(tmp_path, "train")
    with pytest.raises(ShardError, match="no manifest.json"):
        open_shards(tmp_path / "nope")


def test_bench_result_roundtrip(tmp_path):
    res = BenchResult(
        task="rte",
        metric="acc",
        seeds=[1, 2, 3],
        per_seed=[0.6, 0.8, 0.7],
        config={"lr": 2e-5},
        checkpoint="ckpt",
        metrics=[{"acc": 0.6}, {"acc": 0.8}, {"acc": 0.7}],
    )
    write_result(tmp_path / "rte.json", res)
    back = read_result(tmp_path / "rte.json")
    assert back == res and back.median == pytest.approx(0.7)
    data = json.loads((tmp_path / "rte.json").read_text())
    data["median"] = 0.1
    (tmp_path / "rte.json").write_text(json.dumps(data))
    with pytest.raises(ResultFormatError, match="median"):
        read_result(tmp_path / "rte.json")
    with pytest.raises(ResultFormatError):
        BenchResult(task="x", metric="acc", seeds=[1, 2], per_seed=[0.5], config={}, checkpoint="c")


def test_atomic_writes_get_normal_permissions(tmp_path):
    import os

    from common.fileio import write_json_atomic

    write_json_atomic(tmp_path / "x.json", {"a": 1})
    mask = os.umask(0)
    os.umask(mask)
    assert (tmp_path / "x.json").stat().st_mode & 0o777 == 0o666 & ~mask
    assert [p.name for p in tmp_path.iterdir()] == ["x.json"]  # no temp file left behind
