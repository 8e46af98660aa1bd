"""``corpus decontaminate SHARDS... --against P [P ...] --output OUT`` (wired into ``corpus.cli``).

Runs ``corpus.decontam.decontaminate`` over existing shards on any executor, then prints the contamination
table (also in ``OUT/decontamination.md``). Imports stay light until the command runs.

Usage: ``corpus decontaminate out/ccnews --against ../shared/data/glue ../shared/data/squad/dev-v1.1.json.zip
--output out/ccnews-clean``
"""

from __future__ import annotations

import argparse
import json

from corpus.buildkit import add_executor_args


def add_parser(subparsers) -> None:  # noqa: ANN001 - argparse's private _SubParsersAction
    """Register ``corpus decontaminate`` on the ``corpus`` CLI's subparsers."""
    p = subparsers.add_parser(
        "decontaminate",
        help="drop documents sharing a 13-gram with evaluation sets",
        description="Index the normalised n-grams of the evaluation sets found under --against (GLUE dev/test "
        "TSVs, SQuAD dev, RACE dev/test, WSC273) and drop, or with --mark-only mark, every corpus document "
        "sharing one; one task per shard. Writes OUT/*.jsonl.zst and OUT/decontamination.json/.md. "
        "Re-running resumes. Executor overrides: --executor.FIELD=V.",
    )
    p.add_argument("shards", nargs="+", help="corpus build folders, shard files or globs")
    p.add_argument("--against", nargs="+", required=True, help="evaluation files or folders")
    p.add_argument("--output", required=True, help="output folder for the decontaminated shards")
    p.add_argument("--mark-only", action="store_true", help="keep contaminated documents, marked")
    p.add_argument("--ngram", type=int, default=13, help="words per n-gram (default 13)")
    p.add_argument(
        "--index-cache", default=None, help="folder of cached indexes (default OUT/.decontam/index)"
    )
    add_executor_args(p, tasks=False)
    p.set_defaults(run=run)


def run(args: argparse.Namespace, extra: list[str]) -> int:
    """Decontaminate and print the contamination table (or, on Slurm, the submission)."""
    from corpus.buildkit import executor_config
    from corpus.decontam.report import contamination_table
    from corpus.decontam.stage import decontaminate
    from corpus.errors import CorpusError

    ex_cfg, rest = executor_config(args, extra)
    if rest:
        raise CorpusError(f"unrecognized arguments: {' '.join(rest)}")
    shards = args.shards[0] if len(args.shards) == 1 else args.shards
    report = decontaminate(
        shards,
        args.against,
        args.output,
        mark_only=args.mark_only,
        ngram=args.ngram,
        executor=ex_cfg,
        progress=not args.quiet,
        index_cache=args.index_cache,
    )
    print(json.dumps(report, indent=2) if report.get("submitted") else contamination_table(report), end="\n")
    return 0
