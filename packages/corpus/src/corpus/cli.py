"""``corpus`` command line: ``corpus build cc-news|openwebtext|stories ...``, ``corpus bench-extract``,
``corpus stats DIR...``.

Heavy libraries (datatrove, trafilatura) are imported only inside commands, so ``--help`` stays fast.
User mistakes print one ``error: ...`` line and exit 2.

Usage: ``corpus build cc-news --from 2016-09 --to 2019-02 --source ../shared/data/cc_news_mirror --output out``
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from corpus.errors import CorpusError
from corpus.formats import CorpusFormatError

DEFAULT_SOURCE = "https://data.commoncrawl.org"  # same as corpus.sources.DEFAULT_SOURCE (kept import-light)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2 (argparse would print the usage too)
        print(f"error: {message}", file=sys.stderr)
        raise SystemExit(2)


def _build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="corpus", description="Build the RoBERTa pretraining corpora on datatrove.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    build = sub.add_parser("build", help="build a corpus")
    kinds = build.add_subparsers(dest="kind", required=True, parser_class=_Parser)
    cc = kinds.add_parser(
        "cc-news",
        help="CC-NEWS from CommonCrawl WARCs",
        description="CC-NEWS: list the months' WARCs, extract, filter, dedup, write zstd JSONL shards. "
        "Extra typed overrides: --extract.FIELD=V, --filters.FIELD=V, --dedup.FIELD=V, --executor.FIELD=V.",
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
    from corpus.openwebtext.cli import add_parser as add_openwebtext
    from corpus.stories.cli import add_parser as add_stories

    add_openwebtext(kinds)
    add_stories(kinds)

    bench = sub.add_parser(
        "bench-extract",
        help="extraction F1 and speed vs plain trafilatura",
        description="Score the project's extraction path and plain trafilatura.extract on the article extraction "
        "benchmark (upstream's shingle P/R/F1 vs articleBody) and time both on the same pages in one run.",
    )
    bench.add_argument("--data", default=None, help="benchmark folder (default: sample data)")
    bench.add_argument("--rounds", type=int, default=3, help="timing rounds, interleaved (default 3)")
    bench.add_argument(
        "--ngram", type=int, default=4, help="shingle size of the metric (upstream: 4; 1 = tokens)"
    )
    bench.add_argument("--json", dest="json_out", default=None, help="also write the results as JSON here")
    bench.add_argument("--plot", default=None, help="also save a PNG bar chart of F1 and docs/s/core here")

    from corpus.mix import add_parser as add_mix

    add_mix(sub)
    return p


def _cmd_build(args: argparse.Namespace, extra: list[str]) -> int:
    if args.kind != "cc-news":
        return args.run(args, extra)
    from corpus.build import CCNewsConfig, build_cc_news
    from corpus.executors import ExecutorConfig
    from corpus.overrides import apply_overrides
    from corpus.steps.extract import ExtractConfig

    cfg = CCNewsConfig(
        source=args.source,
        month_from=args.month_from,
        month_to=args.month_to,
        tasks=args.tasks,
        limit=args.limit,
        extract=ExtractConfig(extractor=args.extractor),
    )
    ex_cfg = ExecutorConfig(kind=args.executor, workers=args.workers)
    ex_extra = [e.replace("--executor.", "--", 1) for e in extra if e.startswith("--executor.")]
    cfg = apply_overrides(cfg, [e for e in extra if not e.startswith("--executor.")])
    ex_cfg = apply_overrides(ex_cfg, ex_extra)
    stats = build_cc_news(output=args.output, config=cfg, executor=ex_cfg, progress=not args.quiet)
    stats.pop("stages", None)
    print(json.dumps(stats, indent=2))
    return 0


def _cmd_stats(args: argparse.Namespace) -> int:
    from pathlib import Path

    from corpus.formats import read_stats
    from corpus.mix import run as run_mix

    for name in args.dirs:
        folder = Path(name)
        if not (folder / "stats.json").is_file() and (folder / "_work" / "logs").is_dir():
            from corpus.build import finish_stats  # after a Slurm build: assemble stats.json first

            finish_stats(folder, {}, wall_s=0.0, cpu_s=0.0, source=str(folder))
        if args.build:
            print(json.dumps(read_stats(folder), indent=2))
    return 0 if args.build else run_mix(args)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``corpus`` console script; returns the exit status."""
    parser = _build_parser()
    args, extra = parser.parse_known_args(argv)
    try:
        if args.command == "build":
            return _cmd_build(args, extra)
        if extra:
            raise CorpusError(f"unrecognized arguments: {' '.join(extra)}")
        if args.command == "bench-extract":
            from corpus.bench import main as bench_main

            return bench_main(args)
        return _cmd_stats(args)
    except (CorpusError, CorpusFormatError, FileNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted (re-run the same command to resume)", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
