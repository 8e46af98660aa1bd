"""``corpus build cc-news`` arguments and command (wired into ``corpus.cli``; imports stay light).

Usage: ``corpus build cc-news --from 2016-09 --to 2019-02 --source ../shared/data/cc_news_mirror --output OUT``
"""

from __future__ import annotations

import argparse

from corpus.buildkit import add_decontaminate_args, add_no_wait
from corpus.sources import DEFAULT_SOURCE


def add_parser(kinds) -> None:  # noqa: ANN001 - argparse's private _SubParsersAction
    """Register ``build cc-news`` on the ``corpus build`` subparsers."""
    cc = kinds.add_parser(
        "cc-news",
        help="CC-NEWS from CommonCrawl WARCs",
        description="CC-NEWS: list the months' WARCs, extract, filter, dedup, write zstd JSONL shards. "
        "Extra typed overrides: --extract.FIELD=V, --filters.FIELD=V, --dedup.FIELD=V, --decontam.FIELD=V, --executor.FIELD=V.",
    )
    cc.add_argument(
        "--from", dest="month_from", default="2016-09", help="first month YYYY-MM (default 2016-09)"
    )
    cc.add_argument("--to", dest="month_to", default="2019-02", help="last month YYYY-MM (default 2019-02)")
    cc.add_argument(
        "--source", default=DEFAULT_SOURCE, help="https URL, s3://commoncrawl or a local mirror folder"
    )
    cc.add_argument("--output", required=True, help="output folder (shards, stats.json, config.json)")
    cc.add_argument("--extractor", default="trafilatura", choices=["trafilatura", "news-please"])
    cc.add_argument("--executor", default="local", choices=["local", "slurm", "ray"])
    cc.add_argument("--tasks", type=int, default=1, help="datatrove tasks (WARC files are split over them)")
    cc.add_argument("--workers", type=int, default=1, help="tasks run at once (local/ray)")
    cc.add_argument("--limit", type=int, default=None, help="read at most N HTML pages in total")
    cc.add_argument("--quiet", action="store_true", help="no progress bar")
    add_no_wait(cc)
    add_decontaminate_args(cc)
    cc.set_defaults(run=run)


def run(args: argparse.Namespace, extra: list[str]) -> int:
    """Build CC-NEWS from parsed arguments plus ``--section.field=value`` overrides."""
    from common import apply_overrides

    from corpus.buildkit import decontam_config, executor_config, print_result
    from corpus.ccnews.build import CCNewsConfig, build_cc_news
    from corpus.steps.extract import ExtractConfig

    cfg = CCNewsConfig(
        source=args.source,
        month_from=args.month_from,
        month_to=args.month_to,
        tasks=args.tasks,
        limit=args.limit,
        extract=ExtractConfig(extractor=args.extractor),
        decontam=decontam_config(args),
    )
    ex_cfg, rest = executor_config(args, extra)
    cfg = apply_overrides(cfg, rest)
    stats = build_cc_news(output=args.output, config=cfg, executor=ex_cfg, progress=not args.quiet)
    print_result(stats, args.output)
    return 0
