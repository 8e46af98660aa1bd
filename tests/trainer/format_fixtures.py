"""Synthetic token shards with known documents and sentences, for the batch-construction tests of the paper's
input formats (tests/trainer/test_formats_*.py). Token ids encode their position so spans can be checked."""

from __future__ import annotations

import numpy as np
from tokenizer import TokenShard
from trainer.data import Specials

SP = Specials(bos=0, pad=1, eos=2, unk=3, mask=999)


def random_docs(
    rng: np.random.Generator, n_docs: int = 40, max_sents: int = 12, max_len: int = 30
) -> list[list[int]]:
    """Sentence lengths per document (each document has 1..max_sents sentences of 1..max_len tokens)."""
    return [list(rng.integers(1, max_len + 1, size=rng.integers(1, max_sents + 1))) for _ in range(n_docs)]


def make_shard(doc_sent_lens: list[list[int]], name: str = "train-00000") -> TokenShard:
    """A TokenShard whose ids are 10 + (position mod 900): never a special id, unique within 900 tokens."""
    sent_lens = [n for doc in doc_sent_lens for n in doc]
    doc_lens = [sum(doc) for doc in doc_sent_lens]
    total = sum(sent_lens)
    return TokenShard(
        name=name,
        tokens=(10 + np.arange(total) % 900).astype(np.uint16),
        docs=np.concatenate([[0], np.cumsum(doc_lens)]).astype(np.int64),
        sents=np.concatenate([[0], np.cumsum(sent_lens)]).astype(np.int64),
    )


def doc_of(shard: TokenShard, offset: int) -> int:
    """Index of the document containing token ``offset``."""
    return int(np.searchsorted(shard.docs, offset, side="right")) - 1
