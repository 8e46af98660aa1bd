"""DOC-SENTENCES (paper §4.2) and the batch-size bookkeeping that keeps tokens per batch comparable.

DOC-SENTENCES packs whole sentences like FULL-SENTENCES but never crosses a document boundary, so blocks near
the end of a document are short. The paper "dynamically increases the batch size" to keep the number of
tokens per step similar to FULL-SENTENCES; the format's ``sampler`` is therefore a ``TokenBudgetSampler``
whose budget is ``batch_size`` x the mean FULL-SENTENCES block length on the same shards.
``matched_batch_size`` sizes a fixed batch the same way (how the paper sizes SENTENCE-PAIR's batch).

Usage: ``fmt = DocSentences(512, specials); n = matched_batch_size(pairs_ds, full_mean, 256, multiple=32)``
"""

from __future__ import annotations

from typing import Any

import numpy as np
from tokenizer import TokenShard

from trainer.data.packing import pack_within_docs
from trainer.data.samplers import TokenBudgetSampler
from trainer.formats.base import InputFormat
from trainer.formats.full import full_sentences_lengths


class DocSentences(InputFormat):
    """DOC-SENTENCES: ``<s> s1 s2 ... </s>``, whole sentences of one document per block."""

    name = "doc-sentences"

    def index(self, shard: TokenShard) -> np.ndarray:
        return pack_within_docs(np.asarray(shard.sents), np.asarray(shard.docs), self.seq_len - 2)

    def block(self, shard: TokenShard, span: np.ndarray) -> np.ndarray:
        toks = np.asarray(shard.tokens[int(span[0]) : int(span[1])], dtype=np.int64)
        return np.concatenate([[self.sp.bos], toks, [self.sp.eos]])

    @staticmethod
    def lengths(spans: np.ndarray) -> np.ndarray:
        return spans[:, 1] - spans[:, 0] + 2

    def block_lengths(self, ds: Any) -> np.ndarray:
        return self.lengths(ds.spans)

    def sampler(
        self, ds: Any, *, seed: int, batch_size: int, micro_batch: int, accum: int, world: int
    ) -> Any:
        """Tokens per step = ``batch_size`` x mean FULL-SENTENCES block length on the same shards; ``ds`` may
        be a duplicated training view (its items repeat the blocks of ``ds.base``)."""
        base = getattr(ds, "base", ds)
        full_mean = float(full_sentences_lengths(base.shards, base.seq_len).mean())
        lengths = np.tile(self.block_lengths(base), len(ds) // len(base))
        return TokenBudgetSampler(
            lengths, seed=seed, tokens_per_step=int(batch_size * full_mean), accum=accum, world=world
        )


def block_lengths(ds: Any) -> np.ndarray:
    """Length of every block of a ``BlockDataset`` (its format's ``block_lengths``)."""
    return ds.fmt.block_lengths(ds)


def matched_batch_size(ds: Any, full_mean: float, batch_size: int, multiple: int = 1) -> int:
    """Sequences per step so that ``ds``'s tokens per step match ``batch_size`` FULL-SENTENCES blocks of
    mean length ``full_mean`` (how the paper sizes SENTENCE-PAIR's batch), rounded to ``multiple``."""
    mean = float(block_lengths(ds).mean())
    raw = batch_size * full_mean / mean
    return max(multiple, int(round(raw / multiple)) * multiple)
