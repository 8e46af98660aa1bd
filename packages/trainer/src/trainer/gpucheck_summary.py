"""The markdown summary of ``trainer gpucheck`` (``DIR/gpucheck.md``), from the result dict it writes.

Usage: ``text = summary(json.loads(Path("gpucheck.json").read_text()))``
"""

from __future__ import annotations

from typing import Any


def summary(res: dict[str, Any]) -> str:
    """The markdown summary of ``run_check``'s result."""
    v, p = res["versions"], res["precision"]
    lines = [
        f"# gpucheck{' (smoke, CPU)' if res['smoke'] else ''}",
        "",
        f"torch {v['torch']}, CUDA {v['cuda']}, cuDNN {v['cudnn']}; device {v['device']}; "
        f"peak {v['peak_flops']} ({v['peak_source']}); attention path {res['attention_path']}",
        "",
        "Attention: "
        + "; ".join(
            f"{k}: **{r['attention_backend']}** (kernels: {', '.join(r['kernels']) or '-'}; ops: "
            f"{', '.join(r['ops']) or '-'})"
            for k, r in res["sdpa_kernels"].items()
        ),
        "",
        f"bf16 vs fp32 over {p['steps']} steps: mean rel diff {p['bf16_mean_rel_diff']:.2e} "
        f"(tolerance {p['bf16_rtol']}) -> {'ok' if p['bf16_ok'] else 'FAIL'}; fp16+GradScaler finite: "
        f"{p['fp16_finite']}; compiled vs eager max rel diff {p['compile_max_rel_diff']:.2e} "
        f"(tolerance {p['compile_rtol']}) -> {'ok' if p['compile_ok'] else 'FAIL'}",
        "",
        "| T | micro | ours eager tok/s | ours compiled tok/s | HF tok/s | ours/HF | MFU actual | MFU 6N "
        "| padding | peak GiB |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]

    def cell(r: Any, key: str, fmt: str) -> str:
        return (
            format(r[key], fmt)
            if isinstance(r, dict) and r.get(key) is not None
            else (r if isinstance(r, str) else "-")
        )

    for r in res["grid"]:
        best = r["compiled"] if isinstance(r.get("compiled"), dict) else r.get("eager")
        lines.append(
            f"| {r['seq_len']} | {r['micro']} | {cell(r['eager'], 'tokens_per_s', ',.0f')} "
            f"| {cell(r['compiled'], 'tokens_per_s', ',.0f')} | {cell(r['hf'], 'tokens_per_s', ',.0f')} "
            f"| {format(r['ours_over_hf'], '.2f') if 'ours_over_hf' in r else '-'} "
            f"| {cell(best, 'mfu_actual', '.1%')} | {cell(best, 'mfu_6n', '.1%')} "
            f"| {cell(best, 'padding_fraction', '.1%')} | {cell(best, 'peak_memory_gib', '.1f')} |"
        )
    synthetic = any(r["synthetic"] for r in res["grid"])
    lines += [
        "",
        f"{'Synthetic full blocks (no --data): padding 0. ' if synthetic else ''}"
        f"Took {res['seconds']:.0f} s. FLOPs conventions: {res['flops_conventions']}",
    ]
    return "\n".join(lines) + "\n"
