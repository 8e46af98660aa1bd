"""``tok``: train a BPE, encode a corpus into token shards, inspect/decode shards, benchmark the encoder.

Commands (``tok COMMAND --help`` for flags):
  tok train    --input GLOB --vocab-size 50265 --output DIR [--max-bytes N] [--kind byte-bpe|char-bpe]
               [--allow-smaller-vocab]
  tok roberta  --output DIR [--src shared/data/bpe_gpt2_roberta]   (RoBERTa's own tokenizer from GPT-2's files)
  tok encode   --tokenizer DIR --input GLOB --output SHARDS [--workers N] [--valid-fraction F]
               [--executor local|slurm|ray --tasks N --executor.FIELD=V]
  tok inspect  SHARDS [--verify] [--tokenizer DIR]
  tok decode   --tokenizer DIR [IDS ... | --shards SHARDS --doc N]
  tok bench    --tokenizer DIR --input GLOB [--max-bytes N]

User mistakes (bad flags or values, missing files, corrupt shards) print one ``error: ...`` line and exit with
status 2 (``common.cli``: no usage block, no traceback). ``--tokenizer DIR`` is a folder written by ``tok train`` /
``tok roberta``, or a classic HF folder of ``vocab.json`` + ``merges.txt``.
Heavy libraries load only inside the command that needs them, so ``tok --help`` is instant.

Usage: ``tok encode --tokenizer tok/ --input 'corpus/*.jsonl.zst' --output shards/ --workers 2``
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from common import Parser, run_cli


def _add_train(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="train a byte-level (or char-level) BPE with HF tokenizers")
    p.add_argument(
        "--input", nargs="+", required=True, help="corpus shards, zips, text files, folders or globs"
    )
    p.add_argument("--output", required=True, help="tokenizer folder to write")
    p.add_argument(
        "--vocab-size", type=int, default=50265, help="ids including the 5 specials (default 50265)"
    )
    p.add_argument("--kind", choices=("byte-bpe", "char-bpe"), default="byte-bpe")
    p.add_argument(
        "--max-bytes", type=int, default=1 << 30, help="sample at most this much text (default 1 GiB)"
    )
    p.add_argument("--min-frequency", type=int, default=2)
    p.add_argument(
        "--allow-smaller-vocab",
        action="store_true",
        help="write the tokenizer (with a warning) when the corpus yields fewer ids than --vocab-size",
    )


def _add_encode(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("encode", help="encode documents into memory-mapped token shards (resumable)")
    p.add_argument("--tokenizer", required=True, help="tokenizer folder (or HF vocab.json + merges.txt)")
    p.add_argument(
        "--input", nargs="+", required=True, help="corpus shards, zips, text files, folders or globs"
    )
    p.add_argument("--output", required=True, help="token-shard folder")
    p.add_argument("--workers", type=int, default=0, help="processes (default: one per CPU)")
    p.add_argument("--valid-fraction", type=float, default=0.01, help="held-out share of documents")
    p.add_argument("--unit-mb", type=float, default=32.0, help="MB of text per shard (work unit)")
    p.add_argument("--seed", type=int, default=0, help="salt of the train/valid document hash")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument(
        "--executor",
        default="local",
        choices=["local", "slurm", "ray"],
        help="slurm/ray: spread the units over --tasks cluster tasks (settings: --executor.FIELD=V)",
    )
    p.add_argument("--tasks", type=int, default=1, help="slurm/ray: tasks the units are spread over")


def _parser() -> argparse.ArgumentParser:
    ap = Parser(
        prog="tok",
        description=__doc__.split("\n\nUsage:")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = ap.add_subparsers(dest="cmd", required=True, parser_class=Parser)
    _add_train(sub)
    _add_encode(sub)
    p = sub.add_parser(
        "roberta", help="write RoBERTa's tokenizer folder from GPT-2's encoder.json + vocab.bpe"
    )
    p.add_argument("--output", required=True)
    p.add_argument(
        "--src", default=None, help="folder with encoder.json, vocab.bpe, dict (default: sample data)"
    )
    p = sub.add_parser("inspect", help="counts and a decoded sample of a token-shard folder")
    p.add_argument("shards")
    p.add_argument("--verify", action="store_true", help="recompute every checksum")
    p.add_argument(
        "--tokenizer", default=None, help="tokenizer folder (default: the one recorded at encode time)"
    )
    p.add_argument("--chars", type=int, default=300, help="characters of the decoded sample")
    p = sub.add_parser("decode", help="decode ids (arguments or stdin) or one document of a shard folder")
    p.add_argument("ids", nargs="*", type=int)
    p.add_argument("--tokenizer", required=True)
    p.add_argument("--shards", default=None)
    p.add_argument("--split", default="train", choices=("train", "valid"))
    p.add_argument("--doc", type=int, default=0)
    p = sub.add_parser("bench", help="encode MB/s vs HF encode_batch and tiktoken; train time vs HF trainer")
    p.add_argument(
        "--tokenizer", default=None, help="tokenizer folder (default: RoBERTa's, built from sample data)"
    )
    p.add_argument("--input", nargs="+", default=None, help="text to use (default: sample data english_text)")
    p.add_argument("--max-bytes", type=int, default=16 << 20, help="text used for the encode benchmark")
    p.add_argument(
        "--train-bytes", type=int, default=4 << 20, help="text used for the train benchmark (0: skip)"
    )
    p.add_argument("--workers", type=int, default=0, help="cores to use (default: all available)")
    p.add_argument("--rounds", type=int, default=3, help="interleaved rounds (medians are reported)")
    p.add_argument("--train-vocab", type=int, default=50265, help="vocabulary size of the train comparison")
    p.add_argument("--output", default=None, help="write the figures as JSON here")
    return ap


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``tok`` console script."""
    parser = _parser()
    args, extra = parser.parse_known_args(argv)
    if extra and not (args.cmd == "encode" and all(e.startswith("--executor.") for e in extra)):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    args.extra = extra
    from corpus import CorpusFormatError

    from tokenizer import commands

    return run_cli(lambda: _run(commands, args), extra_errors=(CorpusFormatError,))


def _run(commands, args: argparse.Namespace) -> int:
    try:
        return getattr(commands, f"cmd_{args.cmd}")(args)
    except FileNotFoundError as e:
        print(f"error: {e.strerror}: {e.filename}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
