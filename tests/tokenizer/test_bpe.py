"""RoBERTa's tokenizer from GPT-2's files: vocab layout, save/load, HF loading, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tokenizer import Tokenizer, TokenizerError
from tokenizer.gpt2 import build_roberta_tokenizer, check_against_hf


def test_vocab_matches_hf_roberta_base_except_missing_madeupwords(roberta: Tokenizer, gpt2_src: Path):
    hf_vocab = json.loads((gpt2_src / "roberta-base-vocab.json").read_text(encoding="utf-8"))
    missing = check_against_hf(roberta.vocab, hf_vocab)
    assert missing == ["madeupword0000", "madeupword0001", "madeupword0002"]
    assert [roberta.vocab[m] for m in missing] == [50261, 50262, 50263]
    assert roberta.vocab_size == 50265
    assert (roberta.bos_id, roberta.pad_id, roberta.eos_id, roberta.unk_id, roberta.mask_id) == (
        0,
        1,
        2,
        3,
        50264,
    )
    assert roberta.vocab["Ġthe"] == 5 and roberta.vocab["."] == 4
    assert roberta.fast


def test_hf_vocab_only_source_gets_madeupwords_back(gpt2_src: Path, tmp_path: Path, roberta: Tokenizer):
    for name in ("encoder.json", "vocab.bpe", "roberta-base-vocab.json"):
        (tmp_path / name).symlink_to(gpt2_src / name)
    tok = build_roberta_tokenizer(tmp_path)
    assert tok.vocab == roberta.vocab


def test_known_ids_and_save_load_roundtrip(roberta: Tokenizer, roberta_dir: Path, tmp_path: Path):
    assert roberta.encode("Hello world") == [31414, 232]
    out = roberta.save(tmp_path / "copy")
    again = Tokenizer.from_dir(out)
    assert again.vocab == roberta.vocab and again.merges == roberta.merges and again.sha256 == roberta.sha256
    assert (roberta_dir / "merges.txt").read_text(encoding="utf-8").startswith("#version: 0.2\nĠ t\n")


def test_hf_loads_folder_with_same_specials(hf_roberta, roberta: Tokenizer):
    assert len(hf_roberta) == roberta.vocab_size
    assert hf_roberta.mask_token_id == 50264 and hf_roberta.pad_token_id == 1
    assert hf_roberta("Hello world")["input_ids"] == [0, 31414, 232, 2]


def test_special_strings_are_plain_text(roberta: Tokenizer, hf_roberta):
    text = "a <mask> b <s></s>"
    ids = roberta.encode(text)
    assert 50264 not in ids and 0 not in ids
    assert ids == hf_roberta(text, add_special_tokens=False, split_special_tokens=True)["input_ids"]
    assert roberta.decode(ids) == text
    assert roberta.decode([0, 31414, 2]) == "<s>Hello</s>"
    assert roberta.decode([0, 31414, 2], skip_special_tokens=True) == "Hello"


def test_bad_folders_give_tokenizer_errors(tmp_path: Path, roberta: Tokenizer):
    with pytest.raises(TokenizerError, match="no vocab.json"):
        Tokenizer.from_dir(tmp_path)
    vocab = dict(roberta.vocab)
    vocab["<pad>"], vocab["<s>"] = 0, 1
    with pytest.raises(TokenizerError, match="<s> must have id 0"):
        Tokenizer(vocab=vocab, merges=roberta.merges)
    with pytest.raises(TokenizerError, match="lacks GPT-2"):
        build_roberta_tokenizer(tmp_path)


def test_classic_hf_folder_loads_and_encodes_like_the_full_folder(
    classic_dir: Path, roberta: Tokenizer, small_docs: list[tuple[str, str]]
):
    """A folder of ``vocab.json`` + ``merges.txt`` only (no ``tokenizer.json``) is RoBERTa's byte-level BPE:
    same identity, same ids as the full folder and as ``RobertaTokenizerFast`` on that same folder."""
    from transformers import RobertaTokenizerFast

    assert sorted(p.name for p in classic_dir.iterdir()) == ["merges.txt", "vocab.json"]
    tok = Tokenizer.from_dir(classic_dir)
    assert tok.kind == "byte-bpe" and tok.fast and tok.vocab_size == 50265 and tok.mask_id == 50264
    assert tok.vocab == roberta.vocab and tok.merges == roberta.merges and tok.sha256 == roberta.sha256
    texts = [t for _, t in small_docs[:40]] + ["Hello world", "a <mask> b <s></s>", " \n\t spaces  "]
    ours = tok.encode_batch(texts)
    assert ours == roberta.encode_batch(texts)
    hf = RobertaTokenizerFast.from_pretrained(str(classic_dir), model_max_length=10**9)
    assert ours == hf(texts, add_special_tokens=False, split_special_tokens=True)["input_ids"]
    assert [tok.decode(ids) for ids in ours] == texts


def test_classic_folder_needs_both_files(classic_dir: Path, tmp_path: Path):
    (tmp_path / "vocab.json").write_bytes((classic_dir / "vocab.json").read_bytes())
    with pytest.raises(TokenizerError, match="no merges.txt"):
        Tokenizer.from_dir(tmp_path)
