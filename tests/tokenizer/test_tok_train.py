"""``tok train``: a trained byte-level BPE round-trips and matches RobertaTokenizerFast on its own files;
the char-level baseline loads through our API and transformers; the sample bound and figures are honoured."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from corpus import write_shard
from hypothesis import given, settings
from hypothesis import strategies as st
from tokenizer import Tokenizer, TrainConfig, train_bpe
from tokenizer.cli import main
from tokenizer.inputs import iter_documents


@pytest.fixture(scope="module")
def corpus_dir(small_docs, tmp_path_factory) -> Path:
    """The real documents as a corpus-package build (zstd JSONL shards), the normal input of ``tok train``."""
    out = tmp_path_factory.mktemp("corpus")
    docs = [
        {"id": k, "text": t, "url": f"file://{k}", "date": "2019-01-01", "source": "english_text"}
        for k, t in small_docs
    ]
    write_shard(out / "00000.jsonl.zst", docs[: len(docs) // 2])
    write_shard(out / "00001.jsonl.zst", docs[len(docs) // 2 :])
    return out


@pytest.fixture(scope="module")
def trained(corpus_dir: Path, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("trained")
    assert main(["train", "--input", str(corpus_dir), "--vocab-size", "1200", "--output", str(out)]) == 0
    return out


def test_trained_layout_and_report(trained: Path, small_docs):
    tok = Tokenizer.from_dir(trained)
    assert tok.kind == "byte-bpe" and tok.fast and tok.vocab_size == 1200
    assert [tok.vocab[t] for t in ("<s>", "<pad>", "</s>", "<unk>", "<mask>")] == [0, 1, 2, 3, 1199]
    report = json.loads((trained / "train_config.json").read_text())["report"]
    assert report["docs"] == len(small_docs) and report["peak_rss_mb"] > 0
    assert report["bytes"] == sum(len(t.encode()) for _, t in small_docs)


def test_trained_matches_roberta_tokenizer_fast(trained: Path, sample_data: Path):
    from transformers import RobertaTokenizerFast

    tok = Tokenizer.from_dir(trained)
    hf = RobertaTokenizerFast.from_pretrained(str(trained), model_max_length=10**9)
    texts = [t for _, t in iter_documents([sample_data / "english_text" / "state_union.zip"])]
    ours = tok.encode_batch(texts)
    assert ours == hf(texts, add_special_tokens=False, split_special_tokens=True)["input_ids"]
    assert [tok.decode(ids) for ids in ours] == texts


@settings(max_examples=150, deadline=None)
@given(text=st.text(max_size=120))
def test_trained_property_roundtrip_and_fast_equals_hf(trained: Path, text: str):
    tok = _load(trained)
    ids = tok.encode(text)
    assert tok.decode(ids) == text
    assert ids == tok._plain_hf.encode(text, add_special_tokens=False).ids


_CACHE: dict[Path, Tokenizer] = {}


def _load(folder: Path) -> Tokenizer:
    if folder not in _CACHE:
        _CACHE[folder] = Tokenizer.from_dir(folder)
    return _CACHE[folder]


def test_max_bytes_bounds_the_sample_across_files(corpus_dir: Path, tmp_path: Path):
    report = train_bpe(
        TrainConfig(inputs=(str(corpus_dir),), output=str(tmp_path), vocab_size=600, max_bytes=400_000)
    )
    assert 0 < report["bytes"] <= 400_000 and report["docs"] >= 2


def test_char_bpe_baseline(sample_data: Path, tmp_path: Path):
    from transformers import AutoTokenizer

    inputs = [str(sample_data / "english_text" / "inaugural.zip")]
    report = train_bpe(
        TrainConfig(inputs=tuple(inputs), output=str(tmp_path), vocab_size=800, kind="char-bpe")
    )
    assert report["kind"] == "char-bpe" and not report["fast_encode"]
    tok = Tokenizer.from_dir(tmp_path)
    assert tok.kind == "char-bpe" and tok.mask_id == tok.vocab_size - 1 == 799
    assert any(t.endswith("</w>") for t in tok.vocab)
    text = "The government of the people, by the people."
    ids = tok.encode(text)
    assert tok.decode(ids) == "The government of the people , by the people ."
    auto = AutoTokenizer.from_pretrained(str(tmp_path))
    assert auto(text)["input_ids"] == [0, *ids, 2]
    assert auto.mask_token_id == 799 and auto.pad_token_id == 1


def _stderr_lines(err: str) -> list[str]:
    """stderr lines other than tqdm's progress bar (which redraws with carriage returns)."""
    return [line.split("\r")[-1] for line in err.splitlines() if not line.startswith("tok train: read+count")]


def test_corpus_too_small_for_the_vocab_size_is_an_error(sample_data: Path, tmp_path: Path, capsys):
    inaugural = str(sample_data / "english_text" / "inaugural.zip")
    argv = ["train", "--input", inaugural, "--max-bytes", "100000", "--vocab-size", "50265"]
    assert main([*argv, "--output", str(tmp_path / "refused")]) == 2
    lines = [line for line in _stderr_lines(capsys.readouterr().err) if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: asked for 50265 ids, the corpus yields only ")
    assert "--allow-smaller-vocab" in lines[0]
    assert not (tmp_path / "refused" / "vocab.json").exists()


def test_allow_smaller_vocab_writes_it_with_one_warning(sample_data: Path, tmp_path: Path, capsys):
    inaugural = str(sample_data / "english_text" / "inaugural.zip")
    argv = ["train", "--input", inaugural, "--max-bytes", "100000", "--vocab-size", "50265"]
    assert main([*argv, "--output", str(tmp_path), "--allow-smaller-vocab"]) == 0
    tok = Tokenizer.from_dir(tmp_path)
    assert 262 <= tok.vocab_size < 50265
    warnings = [line for line in _stderr_lines(capsys.readouterr().err) if line.strip()]
    assert warnings == [
        f"warning: asked for 50265 ids, the corpus yields only {tok.vocab_size} "
        "(written anyway: --allow-smaller-vocab)"
    ]
    record = json.loads((tmp_path / "train_config.json").read_text())
    assert (
        record["config"]["allow_smaller_vocab"] is True and record["report"]["vocab_size"] == tok.vocab_size
    )
