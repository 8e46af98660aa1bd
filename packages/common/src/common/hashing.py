"""Hashes with one meaning per name, shared by every package.

- ``file_sha256``: hex sha256 of one file's bytes (shard and checkpoint checksums).
- ``json_sha256``: hex sha256 of a JSON-able value in canonical form (sorted keys, compact separators,
  tuples as lists): the identity of a set of settings, stable across runs and Python versions.

The tokenizer's own identity (``tokenizer_sha256`` in shard manifests and checkpoint metadata) is
``tokenizer.Tokenizer.sha256``: a hash of its content (kind, vocabulary, merges), not of file bytes.

Usage: ``digest = file_sha256(path)``; ``key = json_sha256({"lr": 1e-5, "seed": 1})[:12]``
"""

from __future__ import annotations

import hashlib
import json
import os
from typing import Any

_CHUNK = 1 << 22  # 4 MiB: large enough that Python overhead is negligible, small enough for any RAM


def file_sha256(path: str | os.PathLike[str], chunk: int = _CHUNK) -> str:
    """Hex sha256 of a file, read in 4 MiB chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def canonical_json(value: Any) -> str:
    """``value`` as canonical JSON text (sorted keys, no whitespace; tuples and paths as lists/strings)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def json_sha256(value: Any) -> str:
    """Hex sha256 of ``canonical_json(value)``."""
    return hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()
