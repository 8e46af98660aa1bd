"""Fixtures for trainer tests: real token shards built once per session from the english_text sample."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from make_shards import make_shards  # noqa: E402


@pytest.fixture(scope="session")
def reuters_shards(sample_data: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(shards, tokenizer) folders: 1,500 Reuters articles, a 2,048-id byte-level BPE trained on them."""
    out = tmp_path_factory.mktemp("reuters")
    return make_shards(out, sample_data, docs=1500, vocab=2048, shard_docs=500)


def tiny_overrides(shards: Path, tok: Path, out: Path, **extra: object) -> list[str]:
    """Override strings for a very small, fast tiny-preset run."""
    base = {
        "data.data": shards,
        "data.tokenizer": tok,
        "run.out": out,
        "data.seq_len": 64,
        "model.max_positions": 66,
        "model.hidden": 64,
        "model.ffn": 128,
        "optim.batch_size": 8,
        "optim.micro_batch": 4,
        "optim.max_steps": 6,
        "optim.warmup_steps": 2,
        "run.log_every": 1,
        "run.eval_every": 3,
        "run.save_every": 3,
        "run.progress": False,
        "data.valid_blocks": 16,
        "run.threads": 1,
    }
    base.update(extra)
    return [f"--{k}={v}" for k, v in base.items()]
