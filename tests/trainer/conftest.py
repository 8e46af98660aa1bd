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
