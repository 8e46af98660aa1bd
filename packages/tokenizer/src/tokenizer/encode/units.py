"""Work units of ``tok encode``: the document stream cut into units, one unit encoded into token shards.

Units are cut deterministically (same inputs, same units, whatever the worker count): a unit closes once it
holds ``unit_bytes`` characters. Unit ``i`` becomes the shards ``train-{i:05d}`` and ``valid-{i:05d}``; each
document goes to ``valid`` when a hash of its key falls below the held-out fraction, so the split depends on
the document only, never on its unit or on the run.

Usage: ``for index, docs, size in iter_units(inputs, 32 << 20): encode_unit(tok, "shards/", index, docs, 0.01)``
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from tokenizer.bpe import Tokenizer
from tokenizer.encode.documents import encode_documents
from tokenizer.inputs import iter_documents
from tokenizer.shards import write_flat_token_shard


def iter_units(
    inputs: Sequence[str | os.PathLike[str]], unit_bytes: int
) -> Iterator[tuple[int, list[tuple[str, str]], int]]:
    """Yield ``(index, docs, n_chars)`` work units of the documents of ``inputs``, in order."""
    docs: list[tuple[str, str]] = []
    size, index = 0, 0
    for key, text in iter_documents(inputs):
        docs.append((key, text))
        size += len(text)
        if size >= unit_bytes:
            yield index, docs, size
            docs, size, index = [], 0, index + 1
    if docs:
        yield index, docs, size


def is_valid_doc(key: str, fraction: float, seed: int = 0) -> bool:
    """Deterministic held-out choice: a hash of the document key falls below ``fraction``."""
    if fraction <= 0:
        return False
    h = hashlib.blake2b(f"{seed}:{key}".encode(), digest_size=8).digest()
    return int.from_bytes(h, "little") / 2**64 < fraction


@dataclass
class UnitResult:
    """What one work unit wrote: manifest entries per split and its counts."""

    index: int
    entries: dict[str, dict] = field(default_factory=dict)
    n_docs: int = 0
    n_bytes: int = 0
    n_tokens: int = 0
    first_key: str = ""


def encode_unit(
    tok: Tokenizer,
    folder: str,
    index: int,
    docs: Sequence[tuple[str, str]],
    valid_fraction: float,
    seed: int = 0,
) -> UnitResult:
    """Encode ``docs`` (``(key, text)`` pairs) into ``train-{index:05d}`` / ``valid-{index:05d}`` shards."""
    res = UnitResult(index=index, n_docs=len(docs), first_key=docs[0][0] if docs else "")
    groups: dict[str, list[str]] = {"train": [], "valid": []}
    for key, text in docs:
        groups["valid" if is_valid_doc(key, valid_fraction, seed) else "train"].append(text)
        res.n_bytes += len(text) if text.isascii() else len(text.encode("utf-8"))
    for split, texts in groups.items():
        if not texts:
            continue
        batch = encode_documents(tok, texts)
        res.n_tokens += int(batch.ids.size)
        res.entries[split] = write_flat_token_shard(
            folder,
            f"{split}-{index:05d}",
            batch.ids,
            sent_lens=batch.sent_lens,
            sents_per_doc=batch.sents_per_doc,
            vocab_size=tok.vocab_size,
        )
    return res
