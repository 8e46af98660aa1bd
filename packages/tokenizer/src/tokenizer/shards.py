"""Token-shard contract (format ``roberta-token-shards`` v1): memory-mapped ids with document and sentence
boundaries, a manifest with counts and sha256 checksums
(``common.file_sha256`` of each file). Written by ``tok encode``; read by the trainer.

Layout of a shard folder::

    manifest.json                 format, version, dtype, vocab_size, tokenizer hash, per-split shard list
    {split}-{i:05d}.tokens.npy    1-D ids (uint16 when vocab_size <= 65536, else uint32)
    {split}-{i:05d}.docs.npy      int64 offsets into tokens where each document starts, plus the end (n_docs+1)
    {split}-{i:05d}.sents.npy     int64 offsets where each sentence starts, plus the end (n_sents+1)

Every document starts a sentence, so document offsets are a subset of sentence offsets. A shard's three files
are written atomically and the manifest last, so a killed ``tok encode`` never leaves a listed shard half-done.

Usage: ``for ids in read_shards("shards/", split="train"): ...`` (each ``ids`` is a numpy array, one document)
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from common import UserError, atomic_path, file_sha256, write_json_atomic

FORMAT_NAME = "roberta-token-shards"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SPLITS = ("train", "valid")
PARTS = ("tokens", "docs", "sents")


class ShardError(UserError, ValueError):
    """A shard folder is missing, corrupt, truncated or of another format version."""


def dtype_for_vocab(vocab_size: int) -> np.dtype:
    """Smallest unsigned dtype holding every id: uint16 up to 65,536 entries, else uint32."""
    return np.dtype(np.uint16) if vocab_size <= 1 << 16 else np.dtype(np.uint32)


def write_token_shard(
    folder: str | os.PathLike[str],
    name: str,
    docs: Sequence[Sequence[np.ndarray]],
    vocab_size: int,
) -> dict[str, Any]:
    """Write one shard from ``docs`` (each a list of sentence id arrays); return its manifest entry.

    Each of the three files is written atomically; the caller adds the entry to the manifest afterwards.
    """
    dtype = dtype_for_vocab(vocab_size)
    flat = [np.asarray(s) for doc in docs for s in doc]
    tokens = np.concatenate(flat).astype(dtype, copy=False) if flat else np.zeros(0, dtype)
    return write_flat_token_shard(
        folder,
        name,
        tokens,
        sent_lens=np.array([len(s) for s in flat], dtype=np.int64),
        sents_per_doc=np.array([len(doc) for doc in docs], dtype=np.int64),
        vocab_size=vocab_size,
    )


def write_flat_token_shard(
    folder: str | os.PathLike[str],
    name: str,
    tokens: np.ndarray,
    *,
    sent_lens: np.ndarray,
    sents_per_doc: np.ndarray,
    vocab_size: int,
) -> dict[str, Any]:
    """Same as ``write_token_shard`` from already concatenated ids: ``sent_lens`` (tokens per sentence, in
    order) and ``sents_per_doc`` (sentences per document). Avoids splitting ids into one array per sentence."""
    folder = Path(folder)
    dtype = dtype_for_vocab(vocab_size)
    tokens = np.asarray(tokens)
    if tokens.size and int(tokens.max()) >= vocab_size:
        raise ShardError(f"id {int(tokens.max())} out of range for vocab_size {vocab_size}")
    tokens = tokens.astype(dtype, copy=False)
    sents = np.concatenate([[0], np.cumsum(sent_lens, dtype=np.int64)]).astype(np.int64)
    if sents[-1] != tokens.size:
        raise ShardError(f"sentence lengths sum to {int(sents[-1])}, not to the {tokens.size} ids")
    arrays = {
        "tokens": tokens,
        "docs": sents[np.concatenate([[0], np.cumsum(sents_per_doc, dtype=np.int64)])],
        "sents": sents,
    }
    sha = {}
    for part, arr in arrays.items():
        target = folder / f"{name}.{part}.npy"
        with atomic_path(target) as tmp:
            with open(tmp, "wb") as f:
                np.save(f, arr)
        sha[part] = file_sha256(target)
    return {
        "name": name,
        "n_tokens": int(tokens.size),
        "n_docs": len(sents_per_doc),
        "n_sents": len(sent_lens),
        "sha256": sha,
    }


def write_manifest(
    folder: str | os.PathLike[str],
    *,
    vocab_size: int,
    splits: dict[str, list[dict[str, Any]]],
    tokenizer_sha256: str | None = None,
    extra: dict[str, Any] | None = None,
) -> Path:
    """Write ``manifest.json`` (atomically) listing every shard of every split, with totals.

    ``tokenizer_sha256`` is the encoding tokenizer's ``Tokenizer.sha256`` (its content hash, not a file hash).
    """
    totals = {
        split: {k: sum(e[k] for e in entries) for k in ("n_tokens", "n_docs", "n_sents")}
        for split, entries in splits.items()
    }
    manifest = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "dtype": dtype_for_vocab(vocab_size).name,
        "vocab_size": vocab_size,
        "tokenizer_sha256": tokenizer_sha256,
        "splits": splits,
        "totals": totals,
        **(extra or {}),
    }
    path = Path(folder) / MANIFEST
    write_json_atomic(path, manifest)
    return path


@dataclass(frozen=True)
class TokenShard:
    """One memory-mapped shard: ``tokens[docs[i]:docs[i+1]]`` is document ``i``."""

    name: str
    tokens: np.ndarray
    docs: np.ndarray
    sents: np.ndarray

    def document(self, i: int) -> np.ndarray:
        """Ids of document ``i`` as a (memory-mapped) view."""
        return self.tokens[self.docs[i] : self.docs[i + 1]]


def read_manifest(folder: str | os.PathLike[str]) -> dict[str, Any]:
    """Load and check ``manifest.json``; raise ``ShardError`` with a one-line reason on any mismatch."""
    path = Path(folder) / MANIFEST
    if not path.is_file():
        raise ShardError(f"not a token-shard folder (no {MANIFEST}): {folder}")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise ShardError(f"{path}: corrupt manifest ({e.msg})") from None
    if manifest.get("format") != FORMAT_NAME or manifest.get("version") != FORMAT_VERSION:
        raise ShardError(
            f"{path}: expected {FORMAT_NAME} v{FORMAT_VERSION}, got "
            f"{manifest.get('format')} v{manifest.get('version')}"
        )
    return manifest


def verify_shards(folder: str | os.PathLike[str]) -> None:
    """Recompute every file's sha256 against the manifest; raise ``ShardError`` on the first mismatch."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    for entries in manifest["splits"].values():
        for entry in entries:
            for part in PARTS:
                path = folder / f"{entry['name']}.{part}.npy"
                if not path.is_file():
                    raise ShardError(f"missing shard file: {path}")
                if file_sha256(path) != entry["sha256"][part]:
                    raise ShardError(f"checksum mismatch (corrupt or truncated shard): {path}")


def _load(path: Path, expected_len: int, dtype: np.dtype) -> np.ndarray:
    if not path.is_file():
        raise ShardError(f"missing shard file: {path}")
    try:
        arr = np.load(path, mmap_mode="r")
    except (ValueError, OSError) as e:
        raise ShardError(f"corrupt or truncated shard file {path}: {e}") from None
    if arr.ndim != 1 or arr.shape[0] != expected_len or arr.dtype != dtype:
        raise ShardError(
            f"shard file {path} has shape {arr.shape} {arr.dtype}, manifest says ({expected_len},) {dtype}"
        )
    return arr


def open_shards(
    folder: str | os.PathLike[str], split: str = "train", verify: bool = False
) -> list[TokenShard]:
    """Memory-map every shard of ``split``; sizes are always checked, checksums when ``verify``."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    if verify:
        verify_shards(folder)
    if split not in manifest["splits"]:
        raise ShardError(f"split {split!r} not in {folder} (has {sorted(manifest['splits'])})")
    dtype = np.dtype(manifest["dtype"])
    shards = []
    for e in manifest["splits"][split]:
        shards.append(
            TokenShard(
                name=e["name"],
                tokens=_load(folder / f"{e['name']}.tokens.npy", e["n_tokens"], dtype),
                docs=_load(folder / f"{e['name']}.docs.npy", e["n_docs"] + 1, np.dtype(np.int64)),
                sents=_load(folder / f"{e['name']}.sents.npy", e["n_sents"] + 1, np.dtype(np.int64)),
            )
        )
    return shards


def read_shards(
    folder: str | os.PathLike[str], split: str = "train", verify: bool = False
) -> Iterator[np.ndarray]:
    """Yield each document's ids (a numpy view) of ``split``, in order across shards."""
    for shard in open_shards(folder, split, verify=verify):
        for i in range(len(shard.docs) - 1):
            yield shard.document(i)
