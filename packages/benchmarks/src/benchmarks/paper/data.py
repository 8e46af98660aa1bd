"""The pretraining data of ``bench paper`` rows: a document subset of a token-shard folder (Table 4's smaller
data row), and the shards of the §4.4 encodings comparison (``--table enc``).

The paper's Table 4 compares 16GB (BOOKS + WIKI) with 160GB of text; at a small scale we compare a fraction
of the training documents with all of them. The subset is written as a regular shard folder (contract of
``tokenizer.shards``): the first ``frac`` of the training documents in shard order, the validation shards
linked unchanged so every row is scored on the same held-out text. Idempotent: an existing complete subset
(its manifest is written last) is reused.

The encodings comparison pits byte-level BPE (the paper's 50K, GPT-2 style) against character-level BPE
(BERT's 30K), each trained with ``tok train`` on the same text, the text encoded into token shards with ``tok
encode``, then pretrained and finetuned like any other row. The paper gives no table for this (it reports
"only slight differences", byte-level "slightly worse on some tasks"), so the markdown shows our numbers only.
Held-out perplexities are per token of each vocabulary and are not comparable across encodings; the
finetuning scores are. Vocabulary sizes shrink with the scale (``Scale.enc_vocab``) keeping the paper's 50:30
ratio.

Usage: ``small = subset_corpus(Path("shards"), Path("out/data/frac0.1"), 0.1)``;
``shards, tok = build_encoding("char-bpe", 2458, ("reuters.zip",), Path("out/enc"))``
"""

from __future__ import annotations

import math
import os
import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from tokenizer import (
    MANIFEST,
    PARTS,
    ShardError,
    open_shards,
    read_manifest,
    write_manifest,
    write_token_shard,
)

from benchmarks.errors import BenchError

_KEEP = ("format", "version", "dtype", "vocab_size", "tokenizer_sha256", "splits", "totals")


def _documents(shard, first: int, count: int) -> list[list[np.ndarray]]:
    """Documents ``[first, first+count)`` of a shard, each a list of sentence id arrays."""
    sents = np.asarray(shard.sents)
    out = []
    for d in range(first, first + count):
        s, e = int(shard.docs[d]), int(shard.docs[d + 1])
        cuts = sents[(sents >= s) & (sents <= e)]
        out.append([np.asarray(shard.tokens[a:b]) for a, b in zip(cuts[:-1], cuts[1:], strict=True)])
    return out


def _link(src: Path, dst: Path) -> None:
    if dst.exists():
        return
    try:
        os.link(src, dst)
    except OSError:  # another file system: copy instead
        shutil.copyfile(src, dst)


def subset_corpus(src: Path, dst: Path, frac: float) -> Path:
    """Write (or reuse) ``dst``: the first ``frac`` of ``src``'s training documents + its validation split."""
    if not 0 < frac <= 1:
        raise BenchError(f"data fraction must be in (0, 1], got {frac}")
    if frac == 1:
        return src
    if (dst / MANIFEST).is_file():
        return dst
    try:
        manifest = read_manifest(src)
        shards = open_shards(src, "train")
    except ShardError as e:
        raise BenchError(str(e)) from None
    vocab = int(manifest["vocab_size"])
    want = max(1, math.ceil(frac * sum(len(s.docs) - 1 for s in shards)))
    dst.mkdir(parents=True, exist_ok=True)
    entries = []
    for sh in shards:
        take = min(want, len(sh.docs) - 1)
        if take <= 0:
            break
        entries.append(write_token_shard(dst, f"train-{len(entries):05d}", _documents(sh, 0, take), vocab))
        want -= take
    valid = manifest["splits"].get("valid", [])
    for entry in valid:
        for part in PARTS:
            name = f"{entry['name']}.{part}.npy"
            _link(src / name, dst / name)
    extra = {k: v for k, v in manifest.items() if k not in _KEEP}
    extra["subset_of"] = {"source": str(Path(src).resolve()), "fraction": frac}
    write_manifest(
        dst,
        vocab_size=vocab,
        splits={"train": entries, "valid": valid},
        tokenizer_sha256=manifest.get("tokenizer_sha256"),
        extra=extra,
    )
    return dst


def build_encoding(
    kind: str,
    vocab: int,
    text: Sequence[str],
    out: Path,
    *,
    max_bytes: int | None = None,
    valid_fraction: float = 0.05,
) -> tuple[Path, Path]:
    """Train (or reuse) a ``kind`` BPE of ``vocab`` ids on ``text`` and encode ``text`` with it (resumable);
    return (shards, tokenizer) folders under ``out/kind``. The validation documents are chosen by a hash of
    each document's key, so both encodings hold out the same text."""
    from tokenizer import (
        EncodeConfig,
        EncodeError,
        InputError,
        TokenizerError,
        TrainConfig,
        run_encode,
        train_bpe,
    )

    tok_dir, shard_dir = out / kind / "tokenizer", out / kind / "shards"
    try:
        if not (tok_dir / "train_config.json").is_file():
            train_bpe(
                TrainConfig(
                    inputs=tuple(map(str, text)),
                    output=str(tok_dir),
                    vocab_size=vocab,
                    kind=kind,
                    max_bytes=max_bytes or (1 << 30),
                )
            )
        if not (shard_dir / MANIFEST).is_file():
            run_encode(
                EncodeConfig(
                    tokenizer=str(tok_dir),
                    inputs=tuple(map(str, text)),
                    output=str(shard_dir),
                    workers=1,
                    valid_fraction=valid_fraction,
                )
            )
    except (TokenizerError, InputError, EncodeError) as e:
        raise BenchError(f"encodings: {e}") from None
    return shard_dir, tok_dir
