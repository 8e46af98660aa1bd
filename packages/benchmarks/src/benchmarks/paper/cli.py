"""``bench paper`` command line (argparse only here; torch and the trainer load when the command runs).

    bench paper --table 1|2|3|4 --scale tiny|small|base --corpus SHARDS --tokenizer TOKDIR --out DIR
                [--glue DIR] [--device auto|cpu|cuda] [--seeds N] [--tensorboard DIR] [--section.field=value ...]
    bench paper --table enc --scale tiny --text FILES... --out DIR [--glue DIR]

Trailing ``--section.field=value`` flags override every row's trainer config (e.g. ``--run.threads=2``); anything
else is one ``error: unrecognized argument ...`` line.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from common import OverrideError, parse_override


def add_paper_parser(sub: Any) -> argparse.ArgumentParser:
    """Register ``paper`` on the ``bench`` subparsers."""
    p = sub.add_parser(
        "paper",
        help="rerun a comparison of the paper (Tables 1-4) at a chosen scale",
        description="Pretrain each row's variant, finetune it, and write the table beside "
        "the paper's numbers (JSON, markdown) with held-out perplexity curves (PNG).",
    )
    p.add_argument(
        "--table",
        required=True,
        help="1 (masking), 2 (input format/NSP), 3 (batch size), 4 (data and steps), enc (byte vs char BPE)",
    )
    p.add_argument("--scale", default="tiny", help="tiny (CPU, minutes) | small | base (the paper's)")
    p.add_argument("--corpus", type=Path, help="token-shard folder with train and valid splits (tables 1-4)")
    p.add_argument(
        "--tokenizer", type=Path, help="tokenizer folder the shards were encoded with (tables 1-4)"
    )
    p.add_argument(
        "--text", nargs="+", default=(), help="raw text for --table enc (what `tok train --input` takes)"
    )
    p.add_argument("--glue", type=Path, default=None, help="GLUE TSV folder for finetuning (omit: ppl only)")
    p.add_argument("--out", required=True, type=Path, help="output folder (runs, finetuning, table files)")
    p.add_argument("--device", default="auto", help="auto | cpu | cuda (pretraining)")
    p.add_argument(
        "--seeds", type=int, default=None, help="pretraining seeds per row (default: the scale's, 3)"
    )
    p.add_argument("--tensorboard", type=Path, default=None, help="also write TensorBoard event files here")
    return p


def trainer_overrides(extra: list[str]) -> dict[str, str]:
    """``--section.field=value`` strings -> {section.field: value} (``common.parse_override``); the values are
    typed by the trainer config's fields when each row's config is built."""
    out = {}
    for item in extra:
        key, value = parse_override(item)
        if "." not in key:
            raise OverrideError(f"unrecognized argument {item!r} (overrides look like --section.field=value)")
        out[key] = value
    return out


def run_paper_cli(args: argparse.Namespace, extra: list[str]) -> None:
    from benchmarks.paper.run import run_paper

    path = run_paper(
        args.table,
        args.scale,
        corpus=args.corpus,
        tokenizer=args.tokenizer,
        out=args.out,
        glue=args.glue,
        text=tuple(args.text),
        device=args.device,
        extra=trainer_overrides(extra),
        seeds=args.seeds,
        tensorboard=args.tensorboard,
    )
    print(path.with_suffix(".md").read_text(encoding="utf-8"))
    print(f"wrote {path}, {path.with_suffix('.md')}, {path.with_suffix('.png')}")
