"""Fixtures of the tokenizer tests: RoBERTa's tokenizer folder built from the real GPT-2 files, real documents."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from tokenizer import Tokenizer
from tokenizer.gpt2 import build_roberta_dir
from tokenizer.inputs import iter_documents


@pytest.fixture(scope="session")
def gpt2_src(sample_data: Path) -> Path:
    return sample_data / "bpe_gpt2_roberta"


@pytest.fixture(scope="session")
def roberta_dir(gpt2_src: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("roberta_tok")
    build_roberta_dir(gpt2_src, out)
    return out


@pytest.fixture(scope="session")
def classic_dir(roberta_dir: Path, gpt2_src: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The classic HF folder: ``vocab.json`` + ``merges.txt`` only (what ``RobertaTokenizerFast`` loads).

    ``merges.txt`` is GPT-2's original ``vocab.bpe`` from the sample data (= HF roberta-base ``merges.txt``);
    ``vocab.json`` is RoBERTa's table derived from the sample data (= HF roberta-base ``vocab.json``)."""
    out = tmp_path_factory.mktemp("classic_tok")
    shutil.copy(roberta_dir / "vocab.json", out / "vocab.json")
    (out / "merges.txt").symlink_to(gpt2_src / "vocab.bpe")
    return out


@pytest.fixture(scope="session")
def roberta(roberta_dir: Path) -> Tokenizer:
    return Tokenizer.from_dir(roberta_dir)


@pytest.fixture(scope="session")
def hf_roberta(roberta_dir: Path):
    from transformers import RobertaTokenizerFast

    # long documents are compared whole: lift the 512-token warning threshold
    return RobertaTokenizerFast.from_pretrained(str(roberta_dir), model_max_length=10**9)


@pytest.fixture(scope="session")
def hf_plain(roberta_dir: Path):
    """HF tokenizers loading the folder's tokenizer.json, special-token strings read as plain text."""
    from tokenizers import Tokenizer as HFTokenizer

    hf = HFTokenizer.from_file(str(roberta_dir / "tokenizer.json"))
    hf.encode_special_tokens = True
    return hf


@pytest.fixture(scope="session")
def english_zips(sample_data: Path) -> list[Path]:
    return sorted((sample_data / "english_text").glob("*.zip"))


@pytest.fixture(scope="session")
def small_docs(sample_data: Path) -> list[tuple[str, str]]:
    """~150 real documents: US inaugural addresses and a few webtext files."""
    return list(
        iter_documents(
            [sample_data / "english_text" / "inaugural.zip", sample_data / "english_text" / "webtext.zip"]
        )
    )
