"""Corpus output contract (format ``roberta-corpus-jsonl`` v1): zstd JSONL shards plus ``stats.json``.

The corpus package writes it; the tokenizer (and ``corpus stats``) read it through ``read_documents``.
One document per line, UTF-8 JSON with at least ``id``, ``text``, ``url``, ``date`` (ISO 8601), ``source``.
Shards are named ``*.jsonl.zst`` and are written atomically, so a present shard is a complete shard.

Usage: ``for doc in read_documents(build_dir): print(doc["id"], len(doc["text"]))``
"""

from __future__ import annotations

import glob
import io
import json
import os
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import zstandard
from common import UserError, atomic_path, write_json_atomic

FORMAT_NAME = "roberta-corpus-jsonl"
FORMAT_VERSION = 1
SHARD_SUFFIX = ".jsonl.zst"
STATS_FILE = "stats.json"
REQUIRED_FIELDS: tuple[str, ...] = ("id", "text", "url", "date", "source")


class CorpusFormatError(UserError, ValueError):
    """A corpus shard or document does not follow the contract (a ``UserError``: one line at the CLI)."""


def validate_document(doc: Mapping[str, Any]) -> None:
    """Raise ``CorpusFormatError`` unless ``doc`` has every required field with a string value."""
    for key in REQUIRED_FIELDS:
        if key not in doc:
            raise CorpusFormatError(f"document {doc.get('id', '?')!r} lacks required field {key!r}")
        if not isinstance(doc[key], str):
            raise CorpusFormatError(f"document {doc.get('id', '?')!r}: field {key!r} must be a string")
    if not doc["text"]:
        raise CorpusFormatError(f"document {doc['id']!r} has empty text")


def write_shard(path: str | os.PathLike[str], docs: Iterable[Mapping[str, Any]], level: int = 3) -> int:
    """Validate and write ``docs`` to one zstd JSONL shard atomically; return the number written."""
    path = Path(path)
    if not path.name.endswith(SHARD_SUFFIX):
        raise CorpusFormatError(f"shard name must end with {SHARD_SUFFIX}: {path}")
    n = 0
    with atomic_path(path) as tmp, open(tmp, "wb") as raw:
        with zstandard.ZstdCompressor(level=level).stream_writer(raw, closefd=False) as zf:
            for doc in docs:
                validate_document(doc)
                zf.write((json.dumps(doc, ensure_ascii=False) + "\n").encode("utf-8"))
                n += 1
    return n


def list_shards(inputs: str | os.PathLike[str] | Iterable[str | os.PathLike[str]]) -> list[Path]:
    """Expand a build folder, a glob or a list of either into the sorted list of shard files.

    In a folder, shards under a subfolder named ``_*`` or ``.*`` are a build's internals (``_work/shards``
    holds the shards before decontamination), not its output, and are left out.
    """
    items = [inputs] if isinstance(inputs, (str, os.PathLike)) else list(inputs)
    found: list[Path] = []
    for item in items:
        p = Path(item)
        if p.is_dir():
            found.extend(
                sorted(
                    f
                    for f in p.rglob(f"*{SHARD_SUFFIX}")
                    if not any(part.startswith(("_", ".")) for part in f.relative_to(p).parts[:-1])
                )
            )
        elif p.is_file():
            found.append(p)
        else:
            found.extend(Path(m) for m in sorted(glob.glob(str(item), recursive=True)))
    return found


def read_shard(path: str | os.PathLike[str], validate: bool = True) -> Iterator[dict[str, Any]]:
    """Stream the documents of one shard (``.jsonl.zst``, or plain ``.jsonl``) in file order."""
    path = Path(path)
    with open(path, "rb") as raw:
        if path.name.endswith(".zst"):
            stream: io.BufferedIOBase = zstandard.ZstdDecompressor().stream_reader(raw)  # type: ignore[assignment]
        else:
            stream = raw  # type: ignore[assignment]
        text = io.TextIOWrapper(stream, encoding="utf-8")
        for lineno, line in enumerate(text, 1):
            if not line.strip():
                continue
            try:
                doc = json.loads(line)
            except json.JSONDecodeError as e:
                raise CorpusFormatError(f"{path}:{lineno}: not valid JSON ({e.msg})") from None
            if validate:
                validate_document(doc)
            yield doc


def read_documents(
    inputs: str | os.PathLike[str] | Iterable[str | os.PathLike[str]], validate: bool = True
) -> Iterator[dict[str, Any]]:
    """Stream every document of every shard under ``inputs`` (folder, glob or list), shard by shard."""
    shards = list_shards(inputs)
    if not shards:
        raise CorpusFormatError(f"no {SHARD_SUFFIX} shards found in {inputs}")
    for shard in shards:
        yield from read_shard(shard, validate=validate)


def write_stats(build_dir: str | os.PathLike[str], stats: Mapping[str, Any]) -> Path:
    """Write a build's ``stats.json`` (counts per stage and reason, bytes, docs/s) atomically."""
    out = Path(build_dir) / STATS_FILE
    write_json_atomic(out, {"format": FORMAT_NAME, "version": FORMAT_VERSION, **stats})
    return out


def read_stats(build_dir: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a build's ``stats.json``; raise ``CorpusFormatError`` if absent or of another format version."""
    path = Path(build_dir) / STATS_FILE
    if not path.is_file():
        raise CorpusFormatError(f"no {STATS_FILE} in {build_dir}")
    stats = json.loads(path.read_text(encoding="utf-8"))
    if stats.get("format") != FORMAT_NAME or stats.get("version") != FORMAT_VERSION:
        raise CorpusFormatError(f"{path}: expected {FORMAT_NAME} v{FORMAT_VERSION}")
    return stats
