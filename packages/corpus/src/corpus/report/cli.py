"""``corpus report OUT... [--png DIR] [--output FILE] [--json FILE]`` (wired into ``corpus.cli``).

Usage: ``corpus report out/ccnews out/stories --png out/report --output out/report/README.md``
"""

from __future__ import annotations

import argparse


def add_parser(subparsers) -> None:  # noqa: ANN001 - argparse's private _SubParsersAction
    """Register ``corpus report`` on the ``corpus`` CLI's subparsers."""
    p = subparsers.add_parser(
        "report",
        help="markdown + PNG report of corpus builds",
        description="Documents and words per source and per month, length histograms, drops per filter and "
        "reason, duplicates removed per stage, top domains and the contamination table of build folders; "
        "markdown to stdout (or --output), PNGs with --png.",
    )
    p.add_argument("dirs", nargs="+", help="corpus build folders (or decontaminated shard folders)")
    p.add_argument("--png", metavar="DIR", default=None, help="write the PNGs into this folder")
    p.add_argument("--output", metavar="FILE", default=None, help="write the markdown here instead of stdout")
    p.add_argument("--json", metavar="FILE", default=None, help="also write the headline numbers as JSON")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Collect, plot, render."""
    from pathlib import Path

    from common import atomic_path, write_json_atomic

    from corpus.report.collect import collect_report
    from corpus.report.plots import write_pngs
    from corpus.report.render import headline, render_markdown

    rep = collect_report(args.dirs)
    pngs = write_pngs(rep, args.png) if args.png else {}
    out = Path(args.output) if args.output else None
    text = render_markdown(rep, pngs, relative_to=out.parent if out else None)
    if out:
        with atomic_path(out) as tmp:
            tmp.write_text(text, encoding="utf-8")
    else:
        print(text, end="")
    if args.json:
        write_json_atomic(args.json, headline(rep))
    return 0
