"""Greedy packing of whole sentences into token spans: the two packers every input format is built from.

Both work on a shard's sentence and document offsets only (tokens stay memory-mapped) and take one
``searchsorted`` per block, not a Python step per sentence. Sentences longer than the budget are cut first.

- ``pack_full_sentences``: runs of sentences that may cross document boundaries (one ``</s>`` separator per
  document start inside a block counts against the budget): FULL-SENTENCES.
- ``pack_within_docs``: runs of sentences that never cross a document boundary: DOC-SENTENCES, and the
  chunks SEGMENT-PAIR splits into A and B.

Usage: ``spans = pack_full_sentences(shard.sents, shard.docs, budget=seq_len - 2)``
"""

from __future__ import annotations

import numpy as np


def split_long(sents: np.ndarray, limit: int) -> np.ndarray:
    """Sentence offsets with extra cut points so no piece exceeds ``limit`` tokens (rare very long lines)."""
    lengths = np.diff(sents)
    long = np.flatnonzero(lengths > limit)
    if long.size == 0:
        return sents
    extra = [np.arange(sents[i] + limit, sents[i + 1], limit) for i in long]
    return np.union1d(sents, np.concatenate(extra))


def pack_full_sentences(sents: np.ndarray, docs: np.ndarray, budget: int) -> np.ndarray:
    """Greedy FULL-SENTENCES packing: (n_blocks, 2) token spans, each a run of whole sentences whose length
    plus one separator per document start inside the block fits ``budget`` (= seq_len - 2 for <s>, </s>)."""
    sents = split_long(np.asarray(sents, dtype=np.int64), budget)
    n = len(sents) - 1
    if n <= 0:
        return np.zeros((0, 2), np.int64)
    is_doc = np.isin(sents[:-1], docs)
    # cost[j] = tokens of sentences [0, j) plus a separator for every document start among them
    cost = np.concatenate([[0], np.cumsum(np.diff(sents) + is_doc)])
    spans = []
    i = 0
    while i < n:
        # the first sentence of a block needs no separator, so it gets its doc-start token back
        limit = cost[i] + budget + int(is_doc[i])
        j = int(np.searchsorted(cost, limit, side="right")) - 1
        j = max(j, i + 1)
        spans.append((sents[i], sents[j]))
        i = j
    return np.asarray(spans, dtype=np.int64)


def pack_within_docs(sents: np.ndarray, docs: np.ndarray, budget: int) -> np.ndarray:
    """Greedy packing of whole sentences into (n, 2) token spans of at most ``budget`` tokens that never
    cross a document boundary (DOC-SENTENCES, and the chunks SEGMENT-PAIR splits into A and B)."""
    sents = split_long(np.asarray(sents, dtype=np.int64), budget)
    n = len(sents) - 1
    if n <= 0:
        return np.zeros((0, 2), np.int64)
    # index (into sents) of the first sentence of the next document, for each sentence
    doc_first = np.searchsorted(sents, np.asarray(docs, dtype=np.int64))
    next_doc = doc_first[np.searchsorted(doc_first, np.arange(n), side="right")]
    spans, i = [], 0
    while i < n:
        j = int(np.searchsorted(sents, sents[i] + budget, side="right")) - 1
        j = min(max(j, i + 1), int(next_doc[i]))
        spans.append((sents[i], sents[j]))
        i = j
    return np.asarray(spans, dtype=np.int64)
