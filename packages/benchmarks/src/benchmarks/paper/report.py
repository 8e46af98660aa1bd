"""Outputs of ``bench paper``: the table as JSON and markdown (our numbers beside the paper's) and a PNG of
held-out MLM perplexity against tokens seen, one curve per row.

Usage: ``write_outputs(table, scale, rows, Path("out"))`` -> ``out/table2-tiny.json`` (+ ``.md``, ``.png``)
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from common import atomic_path, write_json_atomic

from benchmarks.paper.spec import COLUMN_NAMES, Scale, Table
from benchmarks.paper.stats import comparisons


def _fmt(x: float | None, digits: int = 1) -> str:
    return "—" if x is None else f"{x:.{digits}f}"


def _pm(mean: float | None, sd: float | None, digits: int = 1) -> str:
    """``mean ± sd`` (the mean alone when there is no spread to show)."""
    if mean is None:
        return "—"
    return _fmt(mean, digits) if sd is None else f"{mean:.{digits}f} ± {sd:.{digits}f}"


def _tokens(n: int | None) -> str:
    if n is None:
        return "—"
    return f"{n / 1e6:.2f}M" if n >= 1e5 else f"{n / 1e3:.0f}K"


def _setting(r: dict[str, Any]) -> str:
    extra = f", {r['static_dupes']}x static" if r.get("static_dupes") else ""
    data = f", {r['data_frac']:g} of data" if r.get("data_frac", 1) < 1 else ""
    enc = f"{r['encoding']} {r['vocab']} ids, " if r.get("encoding") else ""
    return f"{enc}{r['format']}, bsz {r['batch_size']} x {r['steps']} steps, lr {r['lr']:g}{extra}{data}"


def comparison_lines(comps: list[dict[str, Any]], seeds: int) -> list[str]:
    """The verdict table: each paper comparison's paired difference over seeds, its 95% CI, p and verdict."""
    if not comps:
        return []
    lines = [
        "",
        f"## Comparisons (paired over {seeds} pretraining seed(s); difference = variant - baseline)",
        "",
        "| variant vs baseline | measure | ours: diff | 95% CI | p (paired t) | paper: diff | verdict |",
        "|---|---|---|---|---|---|---|",
    ]
    for c in comps:
        digits = 2 if c["measure"] == "ppl" else 1
        low, high = c["ci"]
        ci = "—" if low != low else f"[{low:.{digits}f}, {high:.{digits}f}]"
        p = "—" if c["p"] != c["p"] else f"{c['p']:.3f}"
        lines.append(
            f"| {c['variant']} vs {c['baseline']} | {COLUMN_NAMES.get(c['measure'], c['measure'])} | "
            f"{c['diff']:+.{digits}f} | {ci} | {p} | {_fmt(c['paper_diff'], digits)} | {c['verdict']} |"
        )
    return lines


def markdown(table: Table, scale: Scale, rows: list[dict[str, Any]], seeds: int = 1) -> str:
    """The comparison as a markdown table: our setting, tokens, held-out ppl and scores | the paper's."""
    tasks = sorted({t for r in rows for t in r["scores"]})
    head = ["row", "ours: setting", "ours: tokens seen", "ours: held-out ppl"]
    head += [f"ours: {COLUMN_NAMES.get(t, t)}" for t in tasks]
    head += [f"paper: {COLUMN_NAMES.get(c, c)}" for c in table.columns]
    lines = [
        f"# Table {table.number}: {table.title} — scale `{scale.name}`",
        "",
        "| " + " | ".join(head) + " |",
        "|" + "---|" * len(head),
    ]
    for r in rows:
        paper_digits = 2 if "ppl" in table.columns else 1
        cells = [
            r["label"],
            _setting(r),
            _tokens(r["tokens_seen"]),
            _pm(r["valid_ppl"], r.get("valid_ppl_sd"), 2),
        ]
        cells += [_pm(r["scores"].get(t, {}).get("score"), r["scores"].get(t, {}).get("sd")) for t in tasks]
        cells += [_fmt(r["paper"].get(c), paper_digits if c == "ppl" else 1) for c in table.columns]
        lines.append("| " + " | ".join(cells) + " |")
    for name, nums in table.references:
        cells = [f"{name} (published)", "—", "—", "—"] + ["—"] * len(tasks)
        cells += [_fmt(nums.get(c)) for c in table.columns]
        lines.append("| " + " | ".join(cells) + " |")
    model = ", ".join(f"{k} {v}" for k, v in scale.model.items()) or f"preset {scale.preset}"
    lines += [
        "",
        f"Ours: mean ± sd over {seeds} pretraining seed(s); {model}, T={scale.seq_len}; held-out "
        "perplexity on the same FULL-SENTENCES "
        "validation blocks (fixed mask) for every row; finetuning: "
        f"{', '.join(scale.tasks)} with batch {scale.ft_batch}, lr {scale.ft_lr:g}, {scale.ft_epochs} "
        f"epochs, median of {scale.ft_seeds} seed(s), "
        f"{'all' if scale.ft_train is None else scale.ft_train} training examples, full dev set"
        + ("" if scale.ft_dev is None else f" capped at {scale.ft_dev}")
        + ".",
        "Paper: dev-set medians of 5 seeds from Liu et al. (2019) at their full scale "
        "(BERT-base/large, 16-160GB of text). Columns the scale did not run are absent from 'ours'.",
    ]
    if table.number == "enc":
        lines.append(
            "Paper (§4.4, no table): 'only slight differences between these encodings, with the "
            "Radford et al. (2019) BPE achieving slightly worse end-task performance on some tasks'. "
            "Held-out perplexity is per token of each vocabulary: not comparable across the rows."
        )
    lines += comparison_lines(comparisons(table.number, rows), seeds)
    return "\n".join(lines) + "\n"


def plot(table: Table, scale: Scale, rows: list[dict[str, Any]], path: Path) -> Path:
    """PNG: held-out perplexity vs tokens seen per row (left) and our finetuning scores (right)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tasks = sorted({t for r in rows for t in r["scores"]})
    fig, axes = plt.subplots(1, 2 if tasks else 1, figsize=(12 if tasks else 7, 4.5), squeeze=False)
    ax = axes[0][0]
    for r in rows:
        pts = r["curve"]
        ax.plot([p["tokens"] for p in pts], [p["ppl"] for p in pts], marker="o", ms=3, label=r["label"])
    ax.set_xlabel("tokens seen")
    ax.set_ylabel("held-out MLM perplexity")
    ax.set_yscale("log")
    ax.set_title(f"Table {table.number} ({scale.name}): held-out perplexity")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    if tasks:
        bx = axes[0][1]
        width = 0.8 / len(rows)
        for i, r in enumerate(rows):
            xs = [j + i * width for j in range(len(tasks))]
            vals = [r["scores"].get(t, {}).get("score", 0.0) for t in tasks]
            sds = [r["scores"].get(t, {}).get("sd") or 0.0 for t in tasks]  # ± sd over pretraining seeds
            bx.bar(xs, vals, width, yerr=sds, capsize=4, label=r["label"])
        bx.set_xticks(
            [j + 0.4 - width / 2 for j in range(len(tasks))], [COLUMN_NAMES.get(t, t) for t in tasks]
        )
        bx.set_ylabel("dev score (ours, mean ± sd over seeds)")
        bx.set_title("finetuning (ours)")
        bx.set_ylim(0, 100)
        bx.legend(fontsize=8, loc="lower center")
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110)
    plt.close(fig)
    return path


def write_outputs(table: Table, scale: Scale, rows: list[dict[str, Any]], out: Path, seeds: int = 1) -> Path:
    """Write ``table{N}-{scale}.json``, ``.md`` and ``.png`` into ``out``; return the JSON path."""
    stem = out / f"table{table.number}-{scale.name}"
    payload = {
        "format": "roberta-paper-table",
        "version": 1,
        "table": table.number,
        "title": table.title,
        "scale": dataclasses.asdict(scale),
        "columns": list(table.columns),
        "seeds": seeds,
        "rows": rows,
        "comparisons": comparisons(table.number, rows),
        "references": [{"name": n, "paper": v} for n, v in table.references],
    }
    write_json_atomic(stem.with_suffix(".json"), payload)
    with atomic_path(stem.with_suffix(".md")) as tmp:
        Path(tmp).write_text(markdown(table, scale, rows, seeds), encoding="utf-8")
    plot(table, scale, rows, stem.with_suffix(".png"))
    return stem.with_suffix(".json")
