"""Fixtures: a tiny random-init HF RoBERTa folder with the real RoBERTa BPE files (built in-process)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest


def make_tiny_roberta(out: Path, bpe_dir: Path, *, vocab_size: int = 50265, layers: int = 2) -> Path:
    """Save a tiny RobertaForMaskedLM (hidden 32) plus RoBERTa tokenizer files to ``out``."""
    import torch
    from transformers import RobertaConfig, RobertaForMaskedLM, RobertaTokenizerFast

    torch.manual_seed(0)
    cfg = RobertaConfig(
        vocab_size=vocab_size,
        hidden_size=32,
        num_hidden_layers=layers,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=130,
        type_vocab_size=1,
        pad_token_id=1,
        bos_token_id=0,
        eos_token_id=2,
    )
    RobertaForMaskedLM(cfg).save_pretrained(out)
    # transformers 5 ignores vocab_file/merges_file kwargs, so load the pair from a folder in HF names
    files = out.parent / f"{out.name}-bpe"
    files.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(bpe_dir / "roberta-base-vocab.json", files / "vocab.json")
    shutil.copyfile(bpe_dir / "vocab.bpe", files / "merges.txt")
    tok = RobertaTokenizerFast.from_pretrained(files)
    tok.model_max_length = 128
    tok.save_pretrained(out)
    return out


@pytest.fixture(scope="session")
def bpe_dir(sample_data: Path) -> Path:
    return sample_data / "bpe_gpt2_roberta"


@pytest.fixture(scope="session")
def tiny_hf(tmp_path_factory: pytest.TempPathFactory, bpe_dir: Path) -> Path:
    return make_tiny_roberta(tmp_path_factory.mktemp("tiny") / "roberta", bpe_dir)


@pytest.fixture(scope="session")
def make_tiny(bpe_dir: Path):
    """Factory: ``make_tiny(out, vocab_size=..., layers=...)`` -> a tiny HF RoBERTa folder."""
    return lambda out, **kw: make_tiny_roberta(out, bpe_dir, **kw)
