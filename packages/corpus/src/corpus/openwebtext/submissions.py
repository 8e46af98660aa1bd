"""Stream Pushshift Reddit submission dumps (``RS_*.zst``, ``.xz``, ``.bz2``, plain NDJSON) line by line.

Dumps are tens of GB compressed, so they are decompressed as a stream and never held in memory. Pushshift's
zstd dumps were written with a long window (up to 2 GiB), which the default decoder refuses, hence
``max_window_size=2**31``. A line that is not a JSON object is counted (``corrupt_line``) and skipped; a
stream that ends mid-frame is counted (``truncated_stream``) and the file's earlier lines are kept.

Usage: ``for sub in iter_submissions(["RS_2019-01.zst"], counts): print(sub["url"], sub["score"])``
"""

from __future__ import annotations

import bz2
import glob
import io
import json
import lzma
import os
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

import zstandard

from corpus.errors import CorpusError

ZSTD_MAX_WINDOW = 2**31  # Pushshift writes with --long=31
SUFFIXES = (".zst", ".xz", ".bz2", ".json", ".ndjson", ".jsonl")


class SubmissionDumpError(CorpusError):
    """The submissions argument names no readable dump (a user mistake: one error line)."""


def open_dump(path: str | os.PathLike[str]) -> IO[bytes]:
    """Open one dump as a binary stream, decompressing by suffix."""
    path = Path(path)
    name = path.name
    if name.endswith(".zst"):
        raw = open(path, "rb")
        dctx = zstandard.ZstdDecompressor(max_window_size=ZSTD_MAX_WINDOW)
        return io.BufferedReader(dctx.stream_reader(raw, closefd=True), buffer_size=1 << 20)  # type: ignore[arg-type]
    if name.endswith(".xz"):
        return lzma.open(path, "rb")  # type: ignore[return-value]
    if name.endswith(".bz2"):
        return bz2.open(path, "rb")  # type: ignore[return-value]
    return open(path, "rb")


def expand_dumps(patterns: str | Iterable[str]) -> list[Path]:
    """Expand globs / folders / files into the sorted list of dump files; error if none is found."""
    items = [patterns] if isinstance(patterns, str) else list(patterns)
    found: list[Path] = []
    for item in items:
        p = Path(item)
        if p.is_dir():
            found.extend(
                sorted(f for f in p.iterdir() if f.name.startswith("RS_") and f.name.endswith(SUFFIXES))
            )
        elif p.is_file():
            found.append(p)
        else:
            found.extend(Path(m) for m in sorted(glob.glob(str(item))))
    if not found:
        raise SubmissionDumpError(f"no submission dumps match {patterns!r}")
    return found


def iter_dump(path: str | os.PathLike[str], counts: Counter[str] | None = None) -> Iterator[dict[str, Any]]:
    """Yield each submission object of one dump; count and skip corrupt lines and truncated streams."""
    counts = counts if counts is not None else Counter()
    with open_dump(path) as stream:
        lines = iter(stream)
        while True:
            try:
                line = next(lines)
            except StopIteration:
                break
            except (zstandard.ZstdError, lzma.LZMAError, OSError, EOFError):
                counts["truncated_stream"] += 1  # the rest of this file is unreadable; keep what we have
                break
            if not line.strip():
                continue
            counts["lines"] += 1
            try:
                obj = json.loads(line)
            except (json.JSONDecodeError, UnicodeDecodeError):
                counts["corrupt_line"] += 1
                continue
            if not isinstance(obj, dict):
                counts["corrupt_line"] += 1
                continue
            yield obj


def iter_submissions(
    paths: Iterable[str | os.PathLike[str]], counts: Counter[str] | None = None
) -> Iterator[dict[str, Any]]:
    """Chain ``iter_dump`` over several dump files in order."""
    for path in paths:
        yield from iter_dump(path, counts)
