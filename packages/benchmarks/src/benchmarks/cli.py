"""``bench``: finetune and score checkpoints on GLUE, SQuAD and RACE, and report results beside the paper.

  bench glue   --checkpoint CKPT --tasks all|cola,sst2,... --data DIR|hub --out RESULTS [--seeds 5] [--quick]
               [--executor local|slurm|ray --executor.FIELD=V]   (slurm/ray: one job per sweep cell)
  bench squad  --version 1.1|2.0 --checkpoint CKPT --train FILE --dev FILE --out RESULTS [--quick] [--executor ..]
  bench race   --checkpoint CKPT --data DIR|hub --out RESULTS [--quick] [--executor ...]
  bench speed  --checkpoint CKPT --data GLUE [--task sst2 --train 2000 --threads 2]  (ours vs HF Trainer)
  bench wsc    --checkpoint CKPT --data WSC_DIR --out RESULTS   (WSC273, zero-shot MLM candidate ranking)
  bench report RESULTS... [--png FILE]

Recipe fields are overridden with typed ``--recipe.field=value`` flags (e.g. ``--recipe.epochs=3``). A user
mistake (a bad flag or value included: ``common.cli.Parser``) prints one ``error: ...`` line and exits 2.
Heavy libraries are imported only when a command runs.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from common import Parser, run_cli


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--checkpoint", required=True, help="HF RoBERTa folder or trainer native checkpoint/run folder"
    )
    p.add_argument("--out", required=True, type=Path, help="results folder (one JSON per task; resumable)")
    p.add_argument("--seeds", type=int, default=None, help="number of seeds (default: the recipe's 5)")
    p.add_argument("--quick", action="store_true", help="smoke run: one lr, one seed, few examples")
    p.add_argument(
        "--tensorboard", type=Path, default=None, help="also write TensorBoard event files (one run per cell)"
    )
    p.add_argument(
        "--executor",
        default="local",
        choices=["local", "slurm", "ray"],
        help="slurm/ray: one cluster job per sweep cell (settings: --executor.FIELD=V)",
    )


def _add_speed_and_wsc(sub: Any) -> None:
    """``bench speed`` and ``bench wsc``."""
    sp = sub.add_parser(
        "speed", help="one GLUE cell: our loop vs transformers.Trainer, examples/s and metrics"
    )
    sp.add_argument(
        "--checkpoint", required=True, help="HF RoBERTa folder or trainer native checkpoint/run folder"
    )
    sp.add_argument("--data", required=True, help="GLUE TSV folder")
    sp.add_argument("--task", default="sst2")
    sp.add_argument("--train", type=int, default=2000, help="training examples (fixed random subset)")
    sp.add_argument("--dev", type=int, default=872, help="dev examples per split")
    sp.add_argument("--max-len", type=int, default=128)
    sp.add_argument("--batch-size", type=int, default=16)
    sp.add_argument("--lr", type=float, default=2e-5)
    sp.add_argument("--epochs", type=int, default=1)
    sp.add_argument("--seed", type=int, default=1)
    sp.add_argument("--threads", type=int, default=0, help="torch threads for both (0: torch's default)")
    sp.add_argument("--rounds", type=int, default=1, help="runs per loop, alternating order; best counts")
    sp.add_argument("--json", type=Path, default=None, help="also write the figures here")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="bench",
        description=__doc__.split("\n")[0],
        epilog="Override recipe fields with --recipe.FIELD=VALUE.",
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    g = sub.add_parser("glue", help="finetune on GLUE tasks (paper Table 10 sweep)")
    _common(g)
    g.add_argument(
        "--tasks", default="all", help="all or a comma list: cola,sst2,mrpc,stsb,qqp,mnli,qnli,rte,wnli"
    )
    g.add_argument("--data", required=True, help="GLUE TSV folder (download_glue_data.py layout) or 'hub'")
    g.add_argument(
        "--init-from",
        default=None,
        help="MNLI-finetuned model (HF folder or a bench output folder) to start RTE/STS-B/MRPC from",
    )
    g.add_argument(
        "--save-models", action="store_true", help="keep each cell's best-epoch model (for --init-from)"
    )
    s = sub.add_parser("squad", help="finetune and score on SQuAD v1.1 / v2.0")
    _common(s)
    s.add_argument("--version", required=True, choices=["1.1", "2.0"])
    s.add_argument("--train", required=True, type=Path, help="SQuAD-format training JSON (or .zip)")
    s.add_argument("--dev", required=True, type=Path, help="SQuAD-format dev JSON (or .zip)")
    r = sub.add_parser("race", help="finetune and score on RACE (middle/high/all accuracy)")
    _common(r)
    r.add_argument("--data", required=True, help="RACE folder (train/dev/test/{middle,high}/*.txt) or 'hub'")
    w = sub.add_parser("wsc", help="WSC273 zero-shot: rank the pronoun's candidates with the masked LM")
    w.add_argument(
        "--checkpoint", required=True, help="HF RoBERTa folder or trainer native checkpoint/run folder"
    )
    w.add_argument("--data", required=True, help="folder with WSCollection.xml (or the file)")
    w.add_argument("--out", required=True, type=Path, help="results folder (writes wsc273.json)")
    w.add_argument("--device", default="auto", help="auto | cpu | cuda")
    _add_speed_and_wsc(sub)
    rep = sub.add_parser("report", help="markdown table beside the paper's numbers, plus a PNG bar chart")
    rep.add_argument("results", nargs="+", type=Path, help="result JSON files or folders holding them")
    rep.add_argument(
        "--png", type=Path, default=None, help="bar chart path (default: beside the first result)"
    )
    rep.add_argument(
        "--size", choices=["base", "large"], default="large", help="paper column to compare with"
    )
    from benchmarks.paper.cli import add_paper_parser  # bench paper: argparse only, light

    add_paper_parser(sub)
    return parser


def _recipe(args: argparse.Namespace, base, overrides: Sequence[str]):
    import dataclasses

    from benchmarks.errors import BenchError
    from benchmarks.sweep import override_recipe

    recipe = override_recipe(base, overrides)
    if args.seeds is not None:
        if args.seeds < 1:
            raise BenchError(f"--seeds must be >= 1, got {args.seeds}")
        recipe = dataclasses.replace(recipe, seeds=tuple(range(1, args.seeds + 1)))
    return recipe


def _run(args: argparse.Namespace, overrides: list[str]) -> int:
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()  # the "newly initialized head" report is expected for every finetune
    if args.command == "speed":
        _speed(args, overrides)
    elif args.command == "wsc":
        _wsc(args, overrides)
    elif args.command == "paper":
        from benchmarks.paper.cli import run_paper_cli

        run_paper_cli(args, overrides)
    else:
        _finetune(args, overrides)
    return 0


def _wsc(args: argparse.Namespace, extra: list[str]) -> None:
    from benchmarks.errors import BenchError
    from benchmarks.tasks.wsc import run_wsc

    if extra:
        raise BenchError(f"unknown option(s) {extra}")
    run_wsc(args.checkpoint, args.data, args.out, device=args.device)


def _speed(args: argparse.Namespace, extra: list[str]) -> None:
    from common import write_json_atomic

    from benchmarks.errors import BenchError
    from benchmarks.speed import SpeedSetup, run_speed

    if extra:
        raise BenchError(f"unknown option(s) {extra}")
    setup = SpeedSetup(
        task=args.task,
        train=args.train,
        dev=args.dev,
        max_len=args.max_len,
        batch_size=args.batch_size,
        lr=args.lr,
        epochs=args.epochs,
        seed=args.seed,
        threads=args.threads,
        rounds=args.rounds,
    )
    if args.rounds < 1:
        raise BenchError(f"--rounds must be >= 1, got {args.rounds}")
    figures = run_speed(args.checkpoint, args.data, setup)
    if args.json is not None:
        write_json_atomic(args.json, figures)


def _finetune_kwargs(args: argparse.Namespace, recipe_items: list[str]) -> dict[str, Any]:
    """The keyword arguments of ``run_glue`` / ``run_squad`` / ``run_race`` for this command line."""
    from benchmarks.sweep import glue_recipe, race_recipe, squad_recipe

    base = {"glue": glue_recipe, "squad": squad_recipe, "race": race_recipe}[args.command]()
    kwargs: dict[str, Any] = {"checkpoint": args.checkpoint, "out": args.out, "quick": args.quick,
                              "recipe": _recipe(args, base, recipe_items), "tensorboard": args.tensorboard}  # fmt: skip
    if args.command == "glue":
        kwargs.update(
            tasks=args.tasks, data_dir=args.data, init_from=args.init_from, save_models=args.save_models
        )
    elif args.command == "squad":
        kwargs.update(version=args.version, train_file=args.train, dev_file=args.dev)
    else:
        kwargs.update(data=args.data)
    return kwargs


def _finetune(args: argparse.Namespace, overrides: list[str]) -> None:
    """``bench glue|squad|race``: run locally, or one cluster job per sweep cell (``benchmarks.cluster``)."""
    from benchmarks.errors import BenchError

    ex_items = [o for o in overrides if o.startswith("--executor.")]
    kwargs = _finetune_kwargs(args, [o for o in overrides if not o.startswith("--executor.")])
    if args.executor == "local":
        if ex_items:
            raise BenchError(f"{ex_items[0]} needs --executor slurm or ray")
        from benchmarks.sweep import runner

        runner(args.command)(**kwargs)
        return
    from common import apply_overrides
    from corpus.executors import ExecutorConfig

    from benchmarks.cluster import run_bench_on

    ex_cfg = apply_overrides(ExecutorConfig(kind=args.executor), ex_items, prefix="executor")
    run_bench_on(ex_cfg, args.command, kwargs)


def _report(args: argparse.Namespace, extra: list[str]) -> int:
    from benchmarks.errors import BenchError
    from benchmarks.report import report

    if extra:
        raise BenchError(f"unknown option(s) {extra}")
    print(report(args.results, png=args.png, size=args.size))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``bench`` console script."""
    args, extra = build_parser().parse_known_args(argv)
    command = _report if args.command == "report" else _run
    return run_cli(lambda: command(args, extra))


if __name__ == "__main__":
    sys.exit(main())
