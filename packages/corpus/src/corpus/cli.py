"""``corpus`` command line: ``corpus build cc-news|openwebtext|stories ...``, ``corpus bench-extract``, ``corpus bench-pipeline``,
``corpus stats DIR...``, ``corpus decontaminate SHARDS... --against ...``, ``corpus report OUT... --png DIR``.

Heavy libraries (datatrove, trafilatura) are imported only inside commands, so ``--help`` stays fast.
User mistakes print one ``error: ...`` line and exit 2.

Usage: ``corpus build cc-news --from 2016-09 --to 2019-02 --source ../shared/data/cc_news_mirror --output out``
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence

from common import Parser, run_cli

from corpus.errors import CorpusError


def _build_parser() -> argparse.ArgumentParser:
    from corpus.ccnews.cli import add_parser as add_cc_news
    from corpus.openwebtext.cli import add_parser as add_openwebtext
    from corpus.stories.cli import add_parser as add_stories

    p = Parser(prog="corpus", description="Build the RoBERTa pretraining corpora on datatrove.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=Parser)

    build = sub.add_parser("build", help="build a corpus")
    kinds = build.add_subparsers(dest="kind", required=True, parser_class=Parser)
    add_cc_news(kinds)
    add_openwebtext(kinds)
    add_stories(kinds)

    bench = sub.add_parser(
        "bench-extract",
        help="extraction F1 and speed of every extractor on both benchmarks",
        description="Score every extractor on article_extraction_benchmark (shingle P/R/F1) and trafilatura_eval "
        "(snippet P/R/F1/accuracy; tune and confirm halves) and time them on the same pages in one run.",
    )
    bench.add_argument("--data", default=None, help="folder holding both benchmarks (default: sample data)")
    bench.add_argument(
        "--extractors", default=None, help="comma list (default: all; see corpus.bench_extract)"
    )
    bench.add_argument("--rounds", type=int, default=1, help="timing rounds, interleaved (default 1)")
    bench.add_argument(
        "--ngram", type=int, default=4, help="shingle size of the metric (upstream: 4; 1 = tokens)"
    )
    bench.add_argument(
        "--limit",
        type=int,
        default=None,
        help="only the first N pages of each benchmark (quick look; default all)",
    )
    bench.add_argument("--json", dest="json_out", default=None, help="also write the results as JSON here")
    bench.add_argument("--plot", default=None, help="also save a PNG bar chart of F1 and docs/s/core here")

    pipe = sub.add_parser(
        "bench-pipeline",
        help="the docs stage vs datatrove's FineWeb-style stage on the same WARCs (pages/s per core, overlap)",
        description="Run the project's document stage and datatrove's FineWeb-style stage (WarcReader, "
        "Trafilatura, language, Gopher, C4) on the same WARC files, one core each, the project's both with its "
        "own filters and with FineWeb's (fineweb_filters); compare pages per CPU-second, the kept documents, "
        "and the warcio / fastwarc readers. Needs the extra: uv sync --extra bench.",
    )
    pipe.add_argument(
        "--source", default=None, help="folder of .warc.gz files (default: sample cc_news_mirror)"
    )
    pipe.add_argument("--files", type=int, default=None, help="only the first N WARC files (default all)")
    pipe.add_argument(
        "--repeats",
        type=int,
        default=3,
        help="timed passes per stage after a warm-up one; the fastest counts",
    )
    pipe.add_argument("--json", dest="json_out", default=None, help="also write the results as JSON here")

    from corpus.decontam.cli import add_parser as add_decontaminate
    from corpus.mix import add_parser as add_mix
    from corpus.report.cli import add_parser as add_report

    add_mix(sub)
    add_decontaminate(sub)
    add_report(sub)
    return p


def _cmd_stats(args: argparse.Namespace) -> int:
    from pathlib import Path

    from corpus.buildkit import WORK_DIR, finish_stats
    from corpus.formats import read_stats
    from corpus.mix import run as run_mix

    for name in args.dirs:
        folder = Path(name)
        if not (folder / "stats.json").is_file() and (folder / WORK_DIR / "logs").is_dir():
            finish_stats(  # after a Slurm build: assemble stats.json first
                folder, {}, wall_s=0.0, cpu_s=0.0, source=str(folder)
            )
        if args.build:
            print(json.dumps(read_stats(folder), indent=2))
    return 0 if args.build else run_mix(args)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``corpus`` console script; returns the exit status."""
    args, extra = _build_parser().parse_known_args(argv)
    return run_cli(lambda: _dispatch(args, extra), extra_errors=(FileNotFoundError,))


def _dispatch(args: argparse.Namespace, extra: list[str]) -> int:
    if args.command in ("build", "decontaminate"):
        return args.run(args, extra)
    if extra:
        raise CorpusError(f"unrecognized arguments: {' '.join(extra)}")
    if args.command == "bench-extract":
        from corpus.bench_extract import main as bench_main

        return bench_main(args)
    if args.command == "bench-pipeline":
        from corpus.bench_pipeline import main as pipeline_main

        return pipeline_main(args)
    if args.command == "report":
        return args.run(args)
    return _cmd_stats(args)


if __name__ == "__main__":
    raise SystemExit(main())
