"""Command line: train (default), ``export``, ``plot`` and ``bench``. Heavy imports happen inside commands.

    torchrun --nproc-per-node=N -m trainer --preset tiny --data SHARDS --tokenizer TOKDIR --out RUNDIR \\
        [--batch-size 8192] [--max-steps S] [--lr 6e-4] [--resume] [--trust-checkpoint] [--section.field=value ...]
    python -m trainer export --checkpoint CKPT --out HFDIR [--tokenizer TOKDIR] [--trust-checkpoint]
    python -m trainer plot RUNDIR [--out PNG]
    python -m trainer bench --data SHARDS --tokenizer TOKDIR [--steps 20]
    python -m trainer gpucheck --out DIR [--data SHARDS] [--smoke]

A bad flag or value, and any ``UserError`` below a command, prints one ``error: ...`` line and exits 2.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from common import Parser, run_cli

COMMANDS = ("train", "export", "plot", "bench", "gpucheck")
TRUST_HELP = (
    "also load an old v1 checkpoint (a pickle: loading it can run code; only if you trust its author)"
)


def train_parser() -> Parser:
    p = Parser(
        prog="trainer",
        description="RoBERTa MLM pretraining (run under torchrun for DDP).",
        epilog="Any config field: --section.field=value (sections model, data, optim, run). "
        "Other commands: export, plot, bench, gpucheck (python -m trainer COMMAND --help).",
    )
    p.add_argument("--preset", default="base", help="tiny | base | large (default base)")
    p.add_argument("--data", help="token-shard folder (manifest.json + *.npy)")
    p.add_argument("--tokenizer", help="tokenizer folder (vocab.json, merges.txt, tokenizer.json)")
    p.add_argument("--out", help="run folder: config.json, metrics.jsonl, checkpoints/")
    p.add_argument("--batch-size", type=int, help="sequences per optimizer step over all ranks")
    p.add_argument("--max-steps", type=int)
    p.add_argument("--lr", type=float, help="peak learning rate")
    p.add_argument("--seed", type=int)
    p.add_argument("--resume", action="store_true", help="continue from the latest checkpoint in --out")
    p.add_argument("--init-from", help="start from a Hugging Face RoBERTa folder")
    p.add_argument("--trust-checkpoint", action="store_true", help=TRUST_HELP)
    p.add_argument("--tensorboard", help="also write TensorBoard event files to this folder")
    return p


def build_config(argv: list[str]):
    """The preset, then the named flags (typed values), then the ``--section.field=value`` overrides."""
    import dataclasses

    from trainer.config import apply_overrides, preset

    args, rest = train_parser().parse_known_args(argv)  # rest: --section.field=value overrides
    flags = {
        "data.data": args.data,
        "data.tokenizer": args.tokenizer,
        "run.out": args.out,
        "optim.batch_size": args.batch_size,
        "optim.max_steps": args.max_steps,
        "optim.lr": args.lr,
        "run.seed": args.seed,
        "run.init_from": args.init_from,
        "run.resume": args.resume or None,
        "run.trust_checkpoint": args.trust_checkpoint or None,
        "run.tensorboard": args.tensorboard,
    }
    cfg = preset(args.preset)
    for key, value in flags.items():
        if value is not None:
            section, name = key.split(".")
            cfg = dataclasses.replace(
                cfg, **{section: dataclasses.replace(getattr(cfg, section), **{name: value})}
            )
    return apply_overrides(cfg, rest)


def cmd_train(argv: list[str]) -> int:
    cfg = build_config(argv)
    from trainer.loop import train

    result = train(cfg)
    if os.environ.get("RANK", "0") != "0":
        return 0
    if result.stopped_by:
        print(
            f"stopped by {result.stopped_by} at step {result.step}: checkpoint {result.checkpoint}; "
            "continue with --resume",
            file=sys.stderr,
        )
        return 0
    valid = f", valid loss {result.valid[max(result.valid)]:.4f}" if result.valid else ""
    last = f", train loss {result.losses[max(result.losses)]:.4f}" if result.losses else ""
    print(f"done: step {result.step}{last}{valid}; checkpoint {result.checkpoint}", file=sys.stderr)
    return 0


def cmd_export(argv: list[str]) -> int:
    p = Parser(prog="trainer export", description="Write a Hugging Face RoBERTa folder.")
    p.add_argument("--checkpoint", required=True, type=Path, help="step folder or run folder")
    p.add_argument("--out", required=True, type=Path)
    p.add_argument("--tokenizer", type=Path, help="tokenizer folder (default: the one the run used)")
    p.add_argument("--trust-checkpoint", action="store_true", help=TRUST_HELP)
    a = p.parse_args(argv)
    from trainer.export import export_hf

    print(export_hf(a.checkpoint, a.out, a.tokenizer, trust=a.trust_checkpoint))
    return 0


def cmd_plot(argv: list[str]) -> int:
    p = Parser(prog="trainer plot", description="Loss/perplexity/LR curves to PNG.")
    p.add_argument("run_dir", type=Path)
    p.add_argument("--out", type=Path)
    a = p.parse_args(argv)
    from trainer.metrics import plot_run

    print(plot_run(a.run_dir, a.out))
    return 0


def cmd_bench(argv: list[str]) -> int:
    from trainer.bench import main as bench_main

    return bench_main(argv)


def cmd_gpucheck(argv: list[str]) -> int:
    from trainer.gpucheck import main as gpucheck_main

    return gpucheck_main(argv)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = argv.pop(0) if argv and argv[0] in COMMANDS else "train"
    run = {
        "train": cmd_train,
        "export": cmd_export,
        "plot": cmd_plot,
        "bench": cmd_bench,
        "gpucheck": cmd_gpucheck,
    }[command]
    return run_cli(lambda: run(argv))
