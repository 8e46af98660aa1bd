"""Extraction benchmark: quality and speed of every extractor on both benchmarks, same pages, one run.

Benchmarks and metrics (``corpus.bench_data``): ``article_extraction_benchmark`` with upstream's body-text
shingle P/R/F1, ``trafilatura_eval`` with upstream trafilatura's per-snippet P/R/F1/accuracy, the latter also
on its fixed seeded halves (``tune``: where the default's ``rescue_ratio`` was chosen; ``confirm``: untouched).
Extractors: the project default, it without its recall rescue, it without the XPath twins (the same text,
trafilatura's own XPath evaluation), the previous default (rescue by plain
trafilatura at ratio 0.5), plain ``trafilatura.extract``,
trafilatura ``fast``, resiliparse main content, news-please (optional extra; "not installed" otherwise).
Speed: pages per CPU-second of this process (= pages/s per core), extractors interleaved page by page so
machine load hits all alike; each row is timed on its own pages (the confirm half on the confirm half). Metadata: title/author/date agreement with ``trafilatura_eval``'s annotations.

Usage: ``corpus bench-extract [--rounds 1] [--limit N] [--extractors project,trafilatura-default] [--json F] [--plot F]``
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from corpus.bench_data import (
    load_article_benchmark,
    load_trafilatura_eval,
    page_tp_fp_fn,
    paired_bootstrap,
    prf,
    snippet_counts,
    snippet_scores,
    split_half,
)
from corpus.errors import CorpusError

ALL_EXTRACTORS = (
    "project",
    "project-no-rescue",
    "project-no-twins",
    "project-trafilatura-rescue",
    "trafilatura-default",
    "trafilatura-fast",
    "resiliparse",
    "news-please",
)


def extractors(
    names: tuple[str, ...] = ALL_EXTRACTORS,
) -> tuple[dict[str, Callable[[dict], dict]], list[str]]:
    """``({name: page -> {"text", "title", ...}}, [names not installed])`` for the chosen extractors."""
    import trafilatura

    from corpus.steps.extract import ExtractConfig, extract_article

    def via(cfg: ExtractConfig) -> Callable[[dict], dict]:
        return lambda page: extract_article(page["html"], page["url"], cfg) or {}

    def traf(**kw: Any) -> Callable[[dict], dict]:
        return lambda page: {"text": trafilatura.extract(page["html"], url=page["url"], **kw) or ""}

    table = {
        "project": via(ExtractConfig()),
        "project-no-rescue": via(ExtractConfig(rescue_ratio=0)),
        "project-no-twins": via(ExtractConfig(xpath_twins=False)),
        "project-trafilatura-rescue": via(ExtractConfig(rescue_ratio=0.5, rescue_with="trafilatura")),
        "trafilatura-default": traf(),
        "trafilatura-fast": traf(fast=True, include_comments=False),
        "resiliparse": via(ExtractConfig(extractor="resiliparse", with_metadata=False)),
        "news-please": via(ExtractConfig(extractor="news-please")),
    }
    missing = []
    if "news-please" in names:
        try:
            import newsplease  # noqa: F401
        except ImportError:
            missing.append("news-please")
    return {n: table[n] for n in names if n not in missing}, missing


def _time_all(pages: list[dict], fns: dict, rounds: int, desc: str) -> tuple[dict, dict]:
    """``({name: [output per page]}, {name: [CPU-s per page, summed over rounds]})``."""
    from tqdm import tqdm

    cpu, outs = {n: [0.0] * len(pages) for n in fns}, {n: [] for n in fns}
    for fn in fns.values():  # warm-up: imports and lazy initialisation are not extraction time
        try:
            fn(pages[0])
        except Exception:  # noqa: BLE001, S110 - the timed call below records the failure
            pass
    for r in range(rounds):
        for i, page in enumerate(
            tqdm(pages, desc=f"{desc} round {r + 1}/{rounds}", unit="page", mininterval=5)
        ):
            for name, fn in fns.items():  # interleaved page by page
                t0 = time.process_time()
                try:
                    out = fn(page)
                except Exception as e:  # noqa: BLE001 - one page failing one extractor scores as empty output
                    out = {"error": f"{type(e).__name__}: {e}"}
                cpu[name][i] += time.process_time() - t0
                if r == 0:
                    outs[name].append(out)
    return outs, cpu


def _speed(cpu: list[float], idx: list[int], rounds: int) -> float:
    """Pages per CPU-second over the pages ``idx`` (their own time: the confirm half is timed on itself)."""
    spent = sum(cpu[i] for i in idx)
    return len(idx) * rounds / spent if spent > 0 else float("inf")


def _meta_agreement(pages: list[dict], outs: list[dict]) -> dict[str, float]:
    """Share of annotated pages whose title / author / date the extractor got (normalised equality; date:
    the ISO day)."""

    def norm(v: Any) -> str:
        return " ".join(str(v or "").lower().split())

    if not any("title" in o for o in outs):  # this extractor returns no metadata: nothing to compare
        return {}
    res = {}
    for field, key in (("title", "title"), ("author", "author"), ("date", "publish_date")):
        have = [
            (p["truth"][field], o.get(key)) for p, o in zip(pages, outs, strict=True) if p["truth"].get(field)
        ]
        ok = sum(norm(t)[:10] == norm(o)[:10] if field == "date" else norm(t) == norm(o) for t, o in have)
        res[field] = ok / len(have) if have else 0.0
    return res


def _f1_diff(per_page: dict[str, list], name: str, f1: Callable[[list], float]) -> list[float] | None:
    """``[F1 - plain trafilatura's F1, 95% low, high]`` (paired page bootstrap), None without that row."""
    ref = per_page.get("trafilatura-default")
    if ref is None or name == "trafilatura-default":
        return None
    return list(paired_bootstrap(per_page[name], ref, f1))


def run_benchmark(
    data: Path,
    *,
    rounds: int = 1,
    ngram: int = 4,
    names: tuple[str, ...] = ALL_EXTRACTORS,
    limit: int | None = None,
) -> dict:
    """Score and time every extractor on both benchmarks; the ratios are against plain trafilatura.

    ``limit``: only the first ``limit`` pages (by id) of each benchmark, for a quick look or a test."""
    fns, missing = extractors(names)
    results: dict[str, Any] = {
        "rounds": rounds,
        "ngram": ngram,
        "limit": limit,
        "not_installed": missing,
        "benchmarks": {},
    }
    ab = load_article_benchmark(data / "article_extraction_benchmark")[:limit]
    outs, cpu = _time_all(ab, fns, rounds, "article_extraction_benchmark")
    triples = {
        n: [page_tp_fp_fn(p["truth"], o.get("text", ""), ngram) for p, o in zip(ab, outs[n], strict=True)]
        for n in fns
    }
    results["benchmarks"]["article_extraction_benchmark"] = {
        "pages": len(ab),
        "extractors": {
            n: {
                **prf(triples[n]),
                "pages_per_cpu_s": _speed(cpu[n], list(range(len(ab))), rounds),
                "errors": sum("error" in o for o in outs[n]),
                "f1_vs_trafilatura": _f1_diff(triples, n, lambda t: prf(t)["f1"]),
            }
            for n in fns
        },
    }
    te = load_trafilatura_eval(data / "trafilatura_eval")[:limit]
    outs, cpu = _time_all(te, fns, rounds, "trafilatura_eval")
    tune_ids = {p["id"] for p in split_half(te)[0]}
    for part, keep in (("all", lambda p: True), ("tune", lambda p: p["id"] in tune_ids),
                       ("confirm", lambda p: p["id"] not in tune_ids)):  # fmt: skip
        idx = [i for i, p in enumerate(te) if keep(p)]
        counts = {n: [snippet_counts(te[i]["truth"], outs[n][i].get("text", "")) for i in idx] for n in fns}
        results["benchmarks"][f"trafilatura_eval/{part}"] = {
            "pages": len(idx),
            "extractors": {
                n: {
                    **snippet_scores(counts[n]),
                    "f1_vs_trafilatura": _f1_diff(counts, n, lambda c: snippet_scores(c)["f1"]),
                    "pages_per_cpu_s": _speed(cpu[n], idx, rounds),
                    "errors": sum("error" in outs[n][i] for i in idx),
                    "metadata": _meta_agreement([te[i] for i in idx], [outs[n][i] for i in idx]),
                }
                for n in fns
            },
        }
    for bench in results["benchmarks"].values():
        ref = bench["extractors"].get("trafilatura-default")
        for m in bench["extractors"].values():
            m["speed_vs_trafilatura"] = m["pages_per_cpu_s"] / ref["pages_per_cpu_s"] if ref else None
    return results


def format_table(results: dict[str, Any]) -> str:
    """One table per benchmark (trafilatura_eval: all pages, tune half, confirm half)."""
    limit = f"first {results['limit']} pages of each benchmark; " if results.get("limit") else ""
    lines = [
        f"{limit}{results['rounds']} timing round(s); not installed: {', '.join(results['not_installed']) or '-'}"
    ]
    for bench, b in results["benchmarks"].items():
        lines += ["", f"{bench}: {b['pages']} pages", f"{'extractor':<28}{'P':>7}{'R':>7}{'F1':>7}{'acc':>7}"
                  f"{'pages/CPU-s':>13}{'x traf':>8}{'dF1 vs traf [95% CI]':>24}{'title':>7}{'author':>7}"
                  f"{'date':>7}"]  # fmt: skip
        for name, m in b["extractors"].items():
            meta = m.get("metadata", {})
            acc = f"{m['accuracy']:>7.3f}" if "accuracy" in m else f"{'':>7}"
            ratio = f"{m['speed_vs_trafilatura']:>8.2f}" if m["speed_vs_trafilatura"] else f"{'':>8}"
            lines.append(
                f"{name:<28}{m['precision']:>7.3f}{m['recall']:>7.3f}{m['f1']:>7.3f}{acc}"
                f"{m['pages_per_cpu_s']:>13.1f}{ratio}{_ci(m.get('f1_vs_trafilatura')):>24}"
                + "".join(f"{meta[k]:>7.2f}" for k in ("title", "author", "date") if k in meta)
                + (f"  ({m['errors']} pages failed: scored empty)" if m.get("errors") else "")
            )
    return "\n".join(lines)


def _ci(diff: list[float] | None) -> str:
    return f"{diff[0]:+.3f} [{diff[1]:+.3f}, {diff[2]:+.3f}]" if diff else ""


def plot(results: dict[str, Any], path: str | Path) -> None:
    """F1 and pages/CPU-s per extractor and benchmark, saved as a PNG (matplotlib, imported lazily)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import NullFormatter

    benches = list(results["benchmarks"])
    fig, axes = plt.subplots(2, len(benches), figsize=(4 * len(benches), 6), squeeze=False)
    for j, bench in enumerate(benches):
        ex = results["benchmarks"][bench]["extractors"]
        names = list(ex)
        axes[0][j].barh(names, [ex[n]["f1"] for n in names], color="tab:blue")
        axes[0][j].set_xlim(min(ex[n]["f1"] for n in names) - 0.02, 1.0)
        axes[0][j].set_title(f"{bench}: F1", fontsize=9)
        axes[1][j].barh(names, [ex[n]["pages_per_cpu_s"] for n in names], color="tab:gray")
        axes[1][j].set_xscale("log")
        axes[1][j].xaxis.set_minor_formatter(NullFormatter())  # log minor labels overlap at this width
        ref = ex.get("trafilatura-default")
        if ref:  # the reference every ratio and difference is taken against
            axes[0][j].axvline(ref["f1"], color="black", linestyle="--", linewidth=0.8)
            axes[1][j].axvline(ref["pages_per_cpu_s"], color="black", linestyle="--", linewidth=0.8)
        axes[1][j].set_title("pages per CPU-second (log)", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(args: argparse.Namespace | None = None) -> int:
    """CLI body of ``corpus bench-extract``."""
    if args is None:
        from common import Parser

        parser = Parser(prog="python -m corpus.bench_extract")
        for flag, default in (("--data", None), ("--extractors", None), ("--json", None), ("--plot", None)):
            parser.add_argument(flag, default=default, dest=flag[2:].replace("json", "json_out"))
        parser.add_argument("--rounds", type=int, default=1)
        parser.add_argument("--ngram", type=int, default=4)
        parser.add_argument("--limit", type=int, default=None)
        args = parser.parse_args()
    if args.rounds < 1 or args.ngram < 1:
        raise CorpusError("--rounds and --ngram must be >= 1")
    names = tuple(x for x in (getattr(args, "extractors", None) or ",".join(ALL_EXTRACTORS)).split(",") if x)
    unknown = [n for n in names if n not in ALL_EXTRACTORS]
    if unknown or not names:
        raise CorpusError(f"unknown extractor(s) {unknown}: choose from {', '.join(ALL_EXTRACTORS)}")
    if args.data:
        data = Path(args.data)
    else:
        from common import require_sample_data

        data = require_sample_data("trafilatura_eval").parent
    for sub in ("article_extraction_benchmark", "trafilatura_eval"):
        if not (data / sub).is_dir():
            raise CorpusError(f"benchmark folder not found: {data / sub}")
    limit = getattr(args, "limit", None)
    if limit is not None and limit < 2:
        raise CorpusError("--limit must be >= 2")
    results = run_benchmark(data, rounds=args.rounds, ngram=args.ngram, names=names, limit=limit)
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
