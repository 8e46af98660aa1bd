"""Resumable sweeps: each finished (task, hyper-parameters, seed) cell is one JSON file, skipped on re-runs.

Cells live in ``OUT/cells/{task}/{fingerprint}/{cell}.json``; the fingerprint hashes everything that changes a
cell's score except the cell's own coordinates (checkpoint, data, recipe settings, init-from), so changing e.g.
the epoch count never reuses stale cells, while adding seeds or lrs reuses the finished ones.

Usage: ``store = CellStore(out, "rte", fingerprint({...}))``; ``store.get(name)`` / ``store.put(name, record)``
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from corpus.fileio import write_json_atomic


def fingerprint(settings: dict[str, Any]) -> str:
    """Short stable hash of a JSON-able settings dict."""
    blob = json.dumps(settings, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:12]


class CellStore:
    """Finished cells of one task under one fingerprint."""

    def __init__(self, out: Path, task: str, fp: str) -> None:
        self.dir = Path(out) / "cells" / task / fp

    def path(self, name: str) -> Path:
        return self.dir / f"{name}.json"

    def get(self, name: str) -> dict[str, Any] | None:
        """The finished cell's record, or None (a half-written file never exists: writes are atomic)."""
        p = self.path(name)
        return json.loads(p.read_text(encoding="utf-8")) if p.is_file() else None

    def put(self, name: str, record: dict[str, Any]) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        write_json_atomic(self.path(name), record)
