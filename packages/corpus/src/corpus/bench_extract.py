"""Extraction benchmark: quality (P/R/F1 vs human ``articleBody``) and speed of the project's extraction path
against plain ``trafilatura.extract``, on the same pages in one run, printed side by side with the ratio.

Metric as the upstream article-extraction-benchmark's evaluate.py: texts are cut into ``\\w+`` tokens, then
into n-gram shingles (n=4 upstream; ``--ngram 1`` gives plain token overlap); per page tp/fp/fn are the
multiset overlaps, normalised to sum to 1; precision and recall are averaged over pages and F1 is their
harmonic mean. Speed: pages per CPU-second of this process (= docs/s per core), extractors interleaved
page by page so machine load hits both alike.

Usage: ``corpus bench-extract`` or ``python -m corpus.bench_extract``
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import statistics
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from corpus.errors import CorpusError

_TOKEN_RE = re.compile(r"\w+", re.UNICODE)


def shingles(text: str, n: int = 4) -> Counter:
    """Multiset of ``n``-grams of ``\\w+`` tokens (a text shorter than n is one shingle)."""
    toks = _TOKEN_RE.findall(text or "")
    return Counter(tuple(toks[i : i + n]) for i in range(max(1, len(toks) - n + 1)) if toks[i : i + n])


def page_tp_fp_fn(true: str, pred: str, n: int = 4) -> tuple[float, float, float]:
    """Normalised (tp, fp, fn) of one page's predicted shingles against the true ones."""
    t, p = shingles(true, n), shingles(pred, n)
    tp, fp, fn = sum((t & p).values()), sum((p - t).values()), sum((t - p).values())
    s = tp + fp + fn
    return (tp / s, fp / s, fn / s) if s else (0.0, 0.0, 0.0)


def prf(triples: list[tuple[float, float, float]]) -> dict[str, float]:
    """Mean precision, mean recall and their F1, with upstream's conventions for empty pages."""

    def precision(tp: float, fp: float, fn: float) -> float:
        return 1.0 if fp == fn == 0 else (0.0 if tp == fp == 0 else tp / (tp + fp))

    def recall(tp: float, fp: float, fn: float) -> float:
        return 1.0 if fp == fn == 0 else (0.0 if tp == fn == 0 else tp / (tp + fn))

    p = statistics.mean(precision(*t) for t in triples if t[0] + t[1] > 0)
    r = statistics.mean(recall(*t) for t in triples if t[0] + t[2] > 0)
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0}


def load_pages(folder: Path) -> list[dict[str, str]]:
    """``[{id, url, html, truth}]`` for every ``html/<id>.html.gz`` that has a ground-truth entry."""
    from corpus.steps.warc import decode_html

    truth_file = folder / "ground-truth.json"
    if not truth_file.is_file():
        raise CorpusError(f"no ground-truth.json in {folder}")
    truth = json.loads(truth_file.read_text(encoding="utf-8"))
    pages = []
    for f in sorted((folder / "html").glob("*.html.gz")):
        key = f.name.split(".")[0]
        if key in truth:
            html = decode_html(gzip.decompress(f.read_bytes()), "text/html; charset=utf-8")
            pages.append(
                {
                    "id": key,
                    "url": truth[key].get("url", ""),
                    "html": html,
                    "truth": truth[key]["articleBody"],
                }
            )
    if not pages:
        raise CorpusError(f"no benchmark pages in {folder}/html")
    return pages


def extractors() -> dict[str, Callable[[dict], str]]:
    """The two paths compared: the project's (``corpus.extract_article`` defaults) and plain trafilatura."""
    import trafilatura

    from corpus.steps.extract import ExtractConfig, extract_article

    cfg = ExtractConfig()

    def project(page: dict) -> str:
        art = extract_article(page["html"], page["url"], cfg)
        return art["text"] if art else ""

    def plain(page: dict) -> str:
        return trafilatura.extract(page["html"], url=page["url"]) or ""

    return {"project": project, "trafilatura-default": plain}


def run_benchmark(folder: Path, *, rounds: int = 3, ngram: int = 4) -> dict[str, Any]:
    """Score and time every extractor on every page; return per-extractor metrics and the speed ratio."""
    from tqdm import tqdm

    pages = load_pages(folder)
    fns = extractors()
    cpu = dict.fromkeys(fns, 0.0)
    outputs: dict[str, list[str]] = {}
    for fn in fns.values():  # warm-up: imports and lazy initialisation are not extraction time
        fn(pages[0])
    for _ in tqdm(range(rounds), desc="bench rounds", unit="round"):
        for name in fns:
            outputs[name] = []
        for page in pages:  # interleaved page by page, so load swings on a shared machine hit both alike
            for name, fn in fns.items():
                t0 = time.process_time()
                outputs[name].append(fn(page))
                cpu[name] += time.process_time() - t0
    results: dict[str, Any] = {"pages": len(pages), "rounds": rounds, "ngram": ngram, "extractors": {}}
    for name, outs in outputs.items():
        scores = prf([page_tp_fp_fn(p["truth"], o, ngram) for p, o in zip(pages, outs, strict=True)])
        results["extractors"][name] = {**scores, "docs_per_s_per_core": len(pages) * rounds / cpu[name]}
    ex = results["extractors"]
    results["speed_ratio"] = (
        ex["project"]["docs_per_s_per_core"] / ex["trafilatura-default"]["docs_per_s_per_core"]
    )
    return results


def format_table(results: dict[str, Any]) -> str:
    """Side-by-side table of the benchmark results."""
    lines = [
        f"article extraction benchmark: {results['pages']} pages, {results['rounds']} rounds, "
        f"{results['ngram']}-gram shingles",
        f"{'extractor':<22}{'precision':>10}{'recall':>10}{'F1':>8}{'docs/s/core':>14}",
    ]
    for name, m in results["extractors"].items():
        lines.append(
            f"{name:<22}{m['precision']:>10.4f}{m['recall']:>10.4f}{m['f1']:>8.4f}{m['docs_per_s_per_core']:>14.1f}"
        )
    lines.append(f"speed ratio project / trafilatura-default: {results['speed_ratio']:.2f}x")
    return "\n".join(lines)


def plot(results: dict[str, Any], path: str | Path) -> None:
    """Bar charts of F1 and docs/s/core per extractor, saved as a PNG (matplotlib, imported lazily)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(results["extractors"])
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(8, 3.2))
    ax1.bar(names, [results["extractors"][n]["f1"] for n in names], color=["tab:blue", "tab:gray"])
    ax1.set_ylim(0.8, 1.0)
    ax1.set_title(f"F1 ({results['ngram']}-gram shingles, {results['pages']} pages)")
    ax2.bar(
        names,
        [results["extractors"][n]["docs_per_s_per_core"] for n in names],
        color=["tab:blue", "tab:gray"],
    )
    ax2.set_title(f"docs/s per core (ratio {results['speed_ratio']:.2f}x)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(args: argparse.Namespace | None = None) -> int:
    """CLI body of ``corpus bench-extract``."""
    if args is None:
        from common import Parser

        parser = Parser(prog="python -m corpus.bench_extract")
        parser.add_argument("--data", default=None)
        parser.add_argument("--rounds", type=int, default=3)
        parser.add_argument("--ngram", type=int, default=4)
        parser.add_argument("--json", dest="json_out", default=None)
        parser.add_argument("--plot", default=None)
        args = parser.parse_args()
    if args.rounds < 1 or args.ngram < 1:
        raise CorpusError("--rounds and --ngram must be >= 1")
    if args.data:
        folder = Path(args.data)
    else:
        from common import require_sample_data

        folder = require_sample_data("article_extraction_benchmark")
    if not folder.is_dir():
        raise CorpusError(f"benchmark folder not found: {folder}")
    results = run_benchmark(folder, rounds=args.rounds, ngram=args.ngram)
    print(format_table(results))
    if args.json_out:
        from common import write_json_atomic

        write_json_atomic(args.json_out, results)
    if getattr(args, "plot", None):
        plot(results, args.plot)
    return 0


if __name__ == "__main__":
    from common import run_cli

    raise SystemExit(run_cli(main, extra_errors=(FileNotFoundError,)))
