"""Documents for ``tok train`` / ``tok encode``: corpus shards, zip archives of text files, or text files.

- ``*.jsonl.zst`` / ``*.jsonl``: the corpus package's shards, read with ``corpus.read_shard`` (key = doc ``id``);
- ``*.zip``: every member file is one document (e.g. the NLTK corpora in shared/data/english_text), except
  ``README*`` members; key = ``archive.zip:member``;
- any other file: the whole file is one document; key = its path.
A folder stands for the corpus shards under it, or else every file under it. Text files are read as UTF-8,
falling back to Latin-1 (which maps every byte) for legacy files. Empty documents are skipped.

Usage: ``for key, text in iter_documents(["corpus/*.jsonl.zst"]): ...``
"""

from __future__ import annotations

import glob
import os
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from common import UserError
from corpus import read_shard


class InputError(UserError, ValueError):
    """No input files match, or an input cannot be read."""


def _expand(item: str) -> list[Path]:
    p = Path(item)
    if p.is_dir():
        shards = sorted(p.rglob("*.jsonl.zst"))
        return shards or sorted(f for f in p.rglob("*") if f.is_file() and not f.name.startswith("."))
    if p.is_file():
        return [p]
    return [Path(m) for m in sorted(glob.glob(item, recursive=True)) if Path(m).is_file()]


def list_inputs(patterns: Sequence[str | os.PathLike[str]]) -> list[Path]:
    """Expand folders and globs into a sorted, de-duplicated list of files; ``InputError`` if none."""
    files: list[Path] = []
    for item in patterns:
        for f in _expand(str(item)):
            if f not in files:
                files.append(f)
    if not files:
        raise InputError(f"no input files match {' '.join(map(str, patterns))}")
    return files


def decode_text(data: bytes) -> str:
    """UTF-8 text of ``data``, or its Latin-1 reading when it is not valid UTF-8."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _iter_file(path: Path) -> Iterator[tuple[str, str]]:
    name = path.name
    if name.endswith(".jsonl.zst") or name.endswith(".jsonl"):
        for doc in read_shard(path):
            yield str(doc["id"]), doc["text"]
    elif name.endswith(".zip"):
        with zipfile.ZipFile(path) as zf:
            for info in zf.infolist():
                base = info.filename.rsplit("/", 1)[-1]
                if info.is_dir() or base.startswith("README") or not base:
                    continue
                yield f"{name}:{info.filename}", decode_text(zf.read(info))
    else:
        yield str(path), decode_text(path.read_bytes())


def iter_documents(patterns: Sequence[str | os.PathLike[str]]) -> Iterator[tuple[str, str]]:
    """Stream ``(key, text)`` for every non-empty document of every input, in a fixed order."""
    for path in list_inputs(patterns):
        try:
            for key, text in _iter_file(path):
                if text:
                    yield key, text
        except (OSError, zipfile.BadZipFile) as e:
            raise InputError(f"cannot read {path}: {e}") from None


def sample_documents(patterns: Sequence[str | os.PathLike[str]], max_bytes: int) -> Iterator[tuple[str, str]]:
    """Documents totalling at most ``max_bytes`` of UTF-8, each input file contributing in proportion to its size.

    Taking a share of every file (rather than the first ``max_bytes`` of the stream) spreads the sample over all
    sources and shards; within a file the share is its first documents. At least one document per file is taken.
    """
    files = list_inputs(patterns)
    sizes = [f.stat().st_size for f in files]
    total = sum(sizes) or 1
    taken = 0
    for f, size in zip(files, sizes, strict=True):
        budget, used = max_bytes * size / total, 0
        for key, text in iter_documents([f]):
            n = len(text.encode("utf-8"))
            if (used + n > budget and used > 0) or taken + n > max_bytes:
                break
            used += n
            taken += n
            yield key, text


def total_input_bytes(patterns: Sequence[str | os.PathLike[str]]) -> int:
    """Sum of the input files' sizes on disk (compressed sizes for zst/zip), for progress and sampling."""
    return sum(p.stat().st_size for p in list_inputs(patterns))
