"""``corpus build openwebtext`` arguments and command (wired into ``corpus.cli``; imports stay light).

Usage: ``corpus build openwebtext --submissions 'RS_*.zst' --output OUT [--min-score 3] [--index URL] [--source SRC]``
"""

from __future__ import annotations

import argparse

from corpus.buildkit import add_decontaminate_args, add_executor_args
from corpus.sources import DEFAULT_SOURCE

COMMONCRAWL_INDEX = (
    "https://index.commoncrawl.org/CC-MAIN-2019-04-index"  # = corpus.openwebtext.cdx's default
)


def add_parser(kinds) -> None:  # noqa: ANN001 - argparse's private _SubParsersAction
    """Register ``build openwebtext`` on the ``corpus build`` subparsers."""
    p = kinds.add_parser(
        "openwebtext",
        help="OpenWebText: Reddit-linked pages (score >= 3) fetched from CommonCrawl",
        description="Mine URLs from Pushshift submission dumps (score >= --min-score, no self posts, media or "
        "blocked domains; deduplicated), find each in CommonCrawl's CDX index, range-fetch its WARC record, "
        "then extract, filter, dedup and write as for CC-NEWS. Typed overrides: --urls.FIELD=V, --cdx.FIELD=V, "
        "--fetch.FIELD=V, --extract.FIELD=V, --filters.FIELD=V, --dedup.FIELD=V, --decontam.FIELD=V, --url_buckets=N, --executor.FIELD=V.",
    )
    p.add_argument(
        "--submissions", required=True, nargs="+", help="dump files, globs or folders (RS_*.zst/.xz/.bz2)"
    )
    p.add_argument("--output", required=True, help="output folder (shards, stats.json, config.json)")
    p.add_argument("--min-score", type=int, default=3, help="keep submissions with score >= this (default 3)")
    p.add_argument(
        "--index",
        nargs="+",
        default=[COMMONCRAWL_INDEX],
        help="CDX index endpoint(s) (pywb API), asked in order",
    )
    p.add_argument("--source", default=DEFAULT_SOURCE, help="where WARC files are: https URL or local folder")
    p.add_argument("--blocklist", default=None, help="file of extra domains to drop, one a line")
    p.add_argument("--limit", type=int, default=None, help="look up at most N URLs in total")
    add_executor_args(p)
    add_decontaminate_args(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace, extra: list[str]) -> int:
    """Build OpenWebText from parsed arguments plus ``--section.field=value`` overrides."""
    from common import apply_overrides

    from corpus.buildkit import decontam_config, executor_config, print_result
    from corpus.openwebtext.build import OpenWebTextConfig, build_openwebtext
    from corpus.openwebtext.cdx import CdxConfig
    from corpus.openwebtext.fetch import FetchConfig
    from corpus.openwebtext.urls import UrlFilterConfig, read_blocklist

    extra_block = read_blocklist(args.blocklist) if args.blocklist else ()
    cfg = OpenWebTextConfig(
        submissions=tuple(args.submissions),
        urls=UrlFilterConfig(min_score=args.min_score, extra_blocklist=extra_block),
        cdx=CdxConfig(index_url=args.index[0], fallback_index_urls=tuple(args.index[1:])),
        fetch=FetchConfig(source=args.source),
        tasks=args.tasks,
        limit=args.limit,
        decontam=decontam_config(args),
    )
    ex_cfg, rest = executor_config(args, extra)
    cfg = apply_overrides(cfg, rest)
    stats = build_openwebtext(cfg, args.output, executor=ex_cfg, progress=not args.quiet)
    print_result(stats, args.output)
    return 0
