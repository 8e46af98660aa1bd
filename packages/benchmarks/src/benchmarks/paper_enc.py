"""The §4.4 encodings comparison for ``bench paper --table enc``: byte-level BPE (the paper's 50K, GPT-2
style) against character-level BPE (BERT's 30K), each trained with ``tok train`` on the same text, the text
encoded into token shards with ``tok encode``, then pretrained and finetuned like any other row.

The paper gives no table for this (it reports "only slight differences", byte-level "slightly worse on some
tasks"), so the markdown shows our numbers only. Held-out perplexities are per token of each vocabulary and
are not comparable across encodings; the finetuning scores are. Vocabulary sizes shrink with the scale
(``Scale.enc_vocab``) keeping the paper's 50:30 ratio.

Usage: ``shards, tok = build_encoding("char-bpe", 2458, ("reuters.zip",), Path("out/enc"))``
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from benchmarks.errors import BenchError


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
    from tokenizer.bpe import TokenizerError
    from tokenizer.inputs import InputError
    from tokenizer.job import EncodeConfig, EncodeError, run_encode
    from tokenizer.shards import MANIFEST
    from tokenizer.train import TrainConfig, train

    tok_dir, shard_dir = out / kind / "tokenizer", out / kind / "shards"
    try:
        if not (tok_dir / "train_config.json").is_file():
            train(
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
