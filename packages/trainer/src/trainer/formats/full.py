"""FULL-SENTENCES (paper §4.2, the RoBERTa default): whole sentences packed into blocks of at most ``seq_len``
tokens including ``<s>`` and ``</s>``, crossing document boundaries with a ``</s>`` separator.

Every other choice (no NSP, fixed batch size, dynamic masking) is ``InputFormat``'s default.

Usage: ``fmt = FullSentences(512, specials); spans = fmt.index(shard); ids = fmt.block(shard, spans[0])``
"""

from __future__ import annotations

from typing import Any

import numpy as np
from tokenizer import TokenShard

from trainer.data.packing import pack_full_sentences
from trainer.formats.base import InputFormat


class FullSentences(InputFormat):
    """FULL-SENTENCES: ``<s> s1 s2 </s> s3 ... </s>`` with ``</s>`` between documents."""

    name = "full-sentences"

    def index(self, shard: TokenShard) -> np.ndarray:
        return pack_full_sentences(np.asarray(shard.sents), np.asarray(shard.docs), self.seq_len - 2)

    def block(self, shard: TokenShard, span: np.ndarray) -> np.ndarray:
        s, e = int(span[0]), int(span[1])
        toks = np.asarray(shard.tokens[s:e], dtype=np.int64)
        lo, hi = np.searchsorted(shard.docs, [s + 1, e])  # document starts strictly inside the block
        inner = np.asarray(shard.docs[lo:hi], dtype=np.int64) - s
        toks = np.insert(toks, inner, self.sp.eos) if inner.size else toks
        return np.concatenate([[self.sp.bos], toks, [self.sp.eos]])

    def block_lengths(self, ds: Any) -> np.ndarray:
        return full_sentences_lengths(ds.shards, ds.seq_len)


def full_sentences_lengths(shards: list[TokenShard], seq_len: int) -> np.ndarray:
    """Block lengths (with specials and document separators) FULL-SENTENCES would give on ``shards``."""
    out = []
    for sh in shards:
        docs = np.asarray(sh.docs, dtype=np.int64)
        spans = pack_full_sentences(np.asarray(sh.sents), docs, seq_len - 2)
        inner = np.searchsorted(docs, spans[:, 1]) - np.searchsorted(docs, spans[:, 0] + 1)
        out.append(spans[:, 1] - spans[:, 0] + 2 + inner)
    return np.concatenate(out) if out else np.zeros(0, np.int64)
