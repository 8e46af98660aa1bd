"""``corpus build stories`` arguments and command (wired into ``corpus.cli``; imports stay light).

Usage: ``corpus build stories --source SRC --crawl CC-MAIN-2018-05 --output OUT [--queries FILE] [--top-fraction F]``
"""

from __future__ import annotations

import argparse

from corpus.buildkit import add_decontaminate_args, add_executor_args
from corpus.sources import DEFAULT_SOURCE


def add_parser(kinds) -> None:  # noqa: ANN001 - argparse's private _SubParsersAction
    """Register ``build stories`` on the ``corpus build`` subparsers."""
    p = kinds.add_parser(
        "stories",
        help="Stories: CommonCrawl documents closest to commonsense questions (Trinh & Le 2018)",
        description="Extract, filter and dedup one CommonCrawl main crawl, score each document by weighted "
        "n-gram F1 (n=1..4) against the questions, keep the top fraction (two streaming passes). Typed "
        "overrides: --extract.FIELD=V, --filters.FIELD=V, --dedup.FIELD=V, --decontam.FIELD=V, --executor.FIELD=V.",
    )
    p.add_argument(
        "--source", default=DEFAULT_SOURCE, help="https URL, s3://commoncrawl or a local mirror folder"
    )
    p.add_argument("--crawl", required=True, help="main crawl name, CC-MAIN-YYYY-WW")
    p.add_argument(
        "--queries", default=None, help="questions: Winograd XML or text, one a line (default: WSC273)"
    )
    p.add_argument("--output", required=True, help="output folder (shards, stats.json, config.json)")
    p.add_argument(
        "--top-fraction", type=float, default=0.001, help="fraction kept (default 0.001, the paper's)"
    )
    p.add_argument("--limit", type=int, default=None, help="read at most N HTML pages in total")
    add_executor_args(p)
    add_decontaminate_args(p)
    p.set_defaults(run=run)


def default_queries() -> str:
    """WSC273 from the sample data's ``wsc/WSCollection.xml``."""
    from common import require_sample_data

    return str(require_sample_data("wsc", "WSCollection.xml"))


def run(args: argparse.Namespace, extra: list[str]) -> int:
    """Build Stories from parsed arguments plus ``--section.field=value`` overrides."""
    from common import apply_overrides

    from corpus.buildkit import decontam_config, executor_config, print_result
    from corpus.stories.build import StoriesConfig, build_stories

    cfg = StoriesConfig(
        source=args.source,
        crawl=args.crawl,
        queries=args.queries or default_queries(),
        top_fraction=args.top_fraction,
        tasks=args.tasks,
        limit=args.limit,
        decontam=decontam_config(args),
    )
    ex_cfg, rest = executor_config(args, extra)
    cfg = apply_overrides(cfg, rest)
    stats = build_stories(cfg, args.output, executor=ex_cfg, progress=not args.quiet)
    print_result(stats, args.output)
    return 0
