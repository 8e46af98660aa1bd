"""``python -m trainer gpucheck --out DIR``: one command that shows what the GPU path really does, written to
``DIR/gpucheck.json`` and ``DIR/gpucheck.md``:

1. versions (torch, CUDA, cuDNN), the device and its peak (``metrics.lookup_peak``);
2. which SDPA kernel runs for our attention, both paths (profiler kernel names of one forward + backward);
3. bf16 vs fp32 loss over 20 identical steps (dropout off) within ``BF16_RTOL``; fp16 + GradScaler finite;
   compiled vs eager losses within ``COMPILE_RTOL``;
4. ``base`` at T=512 (micro 32, 64) and T=128 (micro 128, 256), eager and compiled: real tokens/s, MFU in
   both conventions (actual FLOPs with the masked-only head; 6·N·tokens), padding fraction, peak memory; and
   ``transformers.RobertaForMaskedLM`` (SDPA attention, masked on the GPU, fused AdamW) on the same batches.

Batches are real blocks from ``--data SHARDS`` (their true padding) or, without it, random full blocks
(padding 0, marked ``synthetic``). The step is ``loop.train_step``'s (mask on the device, fixed-capacity head,
jagged attention on CUDA, AdamW) for one micro-batch per step. ``--smoke`` runs all of it on CPU with a tiny
model in seconds (a default-run test), so the GPU check cannot rot. Sections past ``--budget-s`` are skipped
and say so.

Usage: ``python -m trainer gpucheck --out DIR [--data SHARDS] [--smoke]``
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path
from typing import Any

from common import Parser, positive_int

BF16_RTOL = 2e-2  # bf16 autocast vs fp32: mean relative loss difference over the 20 steps
COMPILE_RTOL = 1e-3  # compiled vs eager (same precision): max relative loss difference
GRID = [(512, 32), (512, 64), (128, 128), (128, 256)]
SMOKE_GRID = [(64, 4)]
WARMUP = [3]  # untimed steps per shape (1 in the smoke run)


@dataclasses.dataclass
class Setup:
    device: Any
    mcfg: Any  # ModelConfig
    batches: list  # host ids (B, T) per step, for the largest micro of each seq_len (sliced down)
    pad: int
    masker: Any
    synthetic: bool
    backend: str = "inductor"  # torch.compile backend; the smoke run uses "eager" (dynamo only, seconds)


def _blocks(args: argparse.Namespace, seq_len: int, n: int, vocab: int):
    """``n`` host blocks (n, seq_len): real ones from the shards, else random full blocks."""
    import numpy as np

    if args.data:
        from trainer.data import BlockDataset

        ds = BlockDataset.open(args.data, "train", seq_len=seq_len)
        idx = np.random.default_rng(0).permutation(len(ds))[:n] % len(ds)
        return ds.batch(np.resize(idx, n))
    ids = np.random.default_rng(0).integers(5, vocab, (n, seq_len))
    ids[:, 0], ids[:, -1] = 0, 2
    return ids


def _model_config(args: argparse.Namespace, seq_len: int):
    from trainer.config import preset

    cfg = preset("tiny" if args.smoke else "base").model
    vocab = args.vocab
    if args.data:
        from tokenizer import read_manifest

        vocab = int(read_manifest(args.data)["vocab_size"])
    small = {"hidden": 64, "ffn": 128, "layers": 2, "heads": 2} if args.smoke else {}
    return dataclasses.replace(cfg, vocab_size=vocab, max_positions=seq_len + 2, **small)


def versions() -> dict[str, Any]:
    import torch

    from trainer.metrics import lookup_peak

    out = {
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "cudnn": torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None,
        "device": torch.cuda.get_device_name() if torch.cuda.is_available() else "cpu",
    }
    out["peak_flops"], out["peak_source"] = (
        lookup_peak(out["device"]) if torch.cuda.is_available() else (None, "cpu")
    )
    return out


def _masker(vocab: int):
    from trainer.masking import Masker

    return Masker(vocab_size=vocab, mask_id=vocab - 1, special_ids=(0, 1, 2, 3, vocab - 1))


def _ours(mcfg, device, *, compile_: bool, attention: str, seed: int = 0, backend: str = "inductor"):
    """(model handle, bare model, fused AdamW) as ``run.build_run`` makes them."""
    import torch

    from trainer.config import OptimConfig
    from trainer.model import Roberta
    from trainer.optim import build_optimizer

    torch.manual_seed(seed)
    bare = Roberta(mcfg).to(device).train()
    opt, _ = build_optimizer(bare, OptimConfig(warmup_steps=1))
    return (torch.compile(bare, backend=backend) if compile_ else bare), bare, opt


def our_step(model, opt, ids_np, masker, pad, device, *, step: int, attention: str, dtype, scaler=None):
    """One optimizer step of one micro-batch, the way ``loop.train_step`` does it; returns the loss tensor."""
    import numpy as np

    from trainer.distributed import to_device
    from trainer.masking import mask_seed, mlm_capacity
    from trainer.model import attention_mask, pack_batch
    from trainer.precision import autocast

    real = int(np.count_nonzero(ids_np != pad))
    ids = to_device(np.ascontiguousarray(ids_np), device)
    inputs, labels = masker(ids, seed=mask_seed(0, step))
    jagged = attention == "jagged"
    kw = {"labels": labels, "capacity": mlm_capacity(real if jagged else ids_np.size, masker.mask_prob)}
    if jagged:
        kw["packing"] = pack_batch(ids_np, pad, device)
    else:
        kw["attn_mask"] = attention_mask(inputs, pad, padded=real < ids_np.size)
    with autocast(device, dtype):
        loss = model(inputs, **kw) / labels.ne(-100).sum().clamp(min=1)
    (scaler.scale(loss) if scaler else loss).backward()
    if scaler:
        scaler.step(opt)
        scaler.update()
    else:
        opt.step()
    opt.zero_grad(set_to_none=True)
    return loss.detach()


def sdpa_kernels(s: Setup, attention: str, dtype) -> list[str]:
    """Names of the attention kernels (or CPU ops) the profiler sees in one forward + backward."""
    import torch
    from torch.profiler import ProfilerActivity, profile

    model, _, opt = _ours(s.mcfg, s.device, compile_=False, attention=attention)
    acts = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if s.device.type == "cuda" else [])
    ids = s.batches[0][: min(4, len(s.batches[0]))]
    with profile(activities=acts) as prof:
        our_step(model, opt, ids, s.masker, s.pad, s.device, step=0, attention=attention, dtype=dtype)
        if s.device.type == "cuda":
            torch.cuda.synchronize()
    keys = ("attention", "flash", "fmha", "sdpa", "efficient", "cudnn")
    return sorted({e.key for e in prof.key_averages() if any(k in e.key.lower() for k in keys)})


def precision_checks(s: Setup, steps: int, attention: str) -> dict[str, Any]:
    """fp32 vs bf16 (and fp16 + GradScaler) over ``steps`` identical steps, dropout off; compiled vs eager."""
    import torch

    mcfg = dataclasses.replace(s.mcfg, dropout=0.0, attn_dropout=0.0)
    dev, ids = s.device, s.batches[0][: min(8, len(s.batches[0]))]

    def losses(dtype, *, compile_=False, scaler=None, n=steps) -> list[float]:
        model, _, opt = _ours(mcfg, dev, compile_=compile_, attention=attention, backend=s.backend)
        out = [
            our_step(
                model, opt, ids, s.masker, s.pad, dev, step=k, attention=attention, dtype=dtype, scaler=scaler
            )
            for k in range(n)
        ]
        return [float(x) for x in out]

    fp32, bf16 = losses(None), losses(torch.bfloat16)
    rel = [abs(a - b) / abs(a) for a, b in zip(fp32, bf16, strict=True)]
    fp16 = losses(torch.float16, scaler=torch.amp.GradScaler(dev.type)) if dev.type == "cuda" else None
    n_c = min(steps, 5)
    compiled = losses(None, compile_=True, n=n_c)  # masked or jagged as the run uses it
    crel = max(abs(a - b) / abs(a) for a, b in zip(fp32[:n_c], compiled, strict=True))
    return {
        "steps": steps,
        "fp32": fp32,
        "bf16": bf16,
        "bf16_mean_rel_diff": sum(rel) / len(rel),
        "bf16_ok": sum(rel) / len(rel) <= BF16_RTOL,
        "bf16_rtol": BF16_RTOL,
        "fp16_gradscaler": fp16,
        "fp16_finite": None if fp16 is None else all(map(lambda v: v == v and abs(v) < float("inf"), fp16)),
        "compiled_fp32": compiled,
        "compile_max_rel_diff": crel,
        "compile_ok": crel <= COMPILE_RTOL,
        "compile_rtol": COMPILE_RTOL,
    }


def _timed(fn, steps: int, warmup: int, device) -> float:
    """Seconds for ``steps`` calls of ``fn(k)`` after ``warmup`` untimed ones (device synchronised)."""
    import torch

    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    for k in range(warmup):
        fn(k)
    sync()
    t0 = time.perf_counter()
    for k in range(warmup, warmup + steps):
        fn(k)
    sync()
    return time.perf_counter() - t0


def hf_step_fn(s: Setup, ids_all, micro: int, dtype):
    """``RobertaForMaskedLM`` (SDPA attention, fused AdamW on CUDA) on the same blocks, masked on the device
    with the same masker; returns ``fn(k)`` running step ``k``."""
    import torch
    from transformers import RobertaConfig, RobertaForMaskedLM

    from trainer.distributed import to_device
    from trainer.export import hf_config
    from trainer.masking import mask_seed
    from trainer.precision import autocast

    torch.manual_seed(0)
    hf = RobertaForMaskedLM(RobertaConfig(**hf_config(s.mcfg), attn_implementation="sdpa")).to(s.device)
    opt = torch.optim.AdamW(hf.parameters(), lr=1e-4, fused=s.device.type == "cuda")

    def fn(k: int) -> None:
        ids = to_device(ids_all[(k % (len(ids_all) // micro)) * micro :][:micro].copy(), s.device)
        inputs, labels = s.masker(ids, seed=mask_seed(0, k))
        with autocast(s.device, dtype):
            loss = hf(input_ids=inputs, attention_mask=ids.ne(s.pad).long(), labels=labels).loss
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)

    return fn


def throughput(s: Setup, ids_all, micro: int, *, compile_: bool, attention: str, dtype, steps: int) -> dict:
    """Real tokens/s, MFU (both conventions), padding fraction and peak memory of our step at one shape."""
    import numpy as np
    import torch

    from trainer.metrics import lookup_peak, mfu, six_n_flops_per_token
    from trainer.model import count_params, flops_per_token

    model, bare, opt = _ours(s.mcfg, s.device, compile_=compile_, attention=attention, backend=s.backend)
    n_chunks = len(ids_all) // micro

    def chunk(k: int):
        return ids_all[(k % n_chunks) * micro :][:micro]

    def fn(k: int) -> None:
        our_step(model, opt, chunk(k), s.masker, s.pad, s.device, step=k, attention=attention, dtype=dtype)

    if s.device.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
    warmup = WARMUP[0]
    secs = _timed(fn, steps, warmup, s.device)
    real = sum(int(np.count_nonzero(chunk(k) != s.pad)) for k in range(warmup, warmup + steps))
    tps = real / secs
    seq_len = ids_all.shape[1]
    peak = lookup_peak(torch.cuda.get_device_name())[0] if s.device.type == "cuda" else None
    return {
        "tokens_per_s": tps,
        "padding_fraction": 1 - real / (steps * micro * seq_len),
        "mfu_actual": mfu(tps, flops_per_token(s.mcfg, seq_len, s.masker.mask_prob), peak),
        "mfu_6n": mfu(tps, six_n_flops_per_token(count_params(bare)), peak),
        "peak_memory_gib": torch.cuda.max_memory_allocated() / 2**30 if s.device.type == "cuda" else None,
    }


def grid(args: argparse.Namespace, dev, dtype, attention: str, deadline: float) -> list[dict]:
    """Every (seq_len, micro) of the grid: ours eager and compiled, HF eager, same blocks."""

    rows = []
    for seq_len, micro in SMOKE_GRID if args.smoke else GRID:
        mcfg = _model_config(args, seq_len)
        ids_all = _blocks(args, seq_len, micro * 4, mcfg.vocab_size)
        s = Setup(dev, mcfg, [ids_all], 1, _masker(mcfg.vocab_size), not args.data, _backend(args))
        row: dict[str, Any] = {"seq_len": seq_len, "micro": micro, "synthetic": s.synthetic}
        shape = (s, ids_all, micro)
        kw = {"attention": attention, "dtype": dtype, "steps": args.steps}
        for name, fn, extra in (
            ("eager", throughput, {"compile_": False, **kw}),
            ("compiled", throughput, {"compile_": True, **kw}),
            ("hf", _hf_row, {"dtype": dtype, "steps": args.steps}),
        ):
            if time.monotonic() > deadline:
                row[name] = "skipped: over --budget-s"
                continue
            try:
                row[name] = fn(*shape, **extra)
            except Exception as e:  # noqa: BLE001 - one failing shape (e.g. out of memory) must not hide the rest
                row[name] = f"failed: {type(e).__name__}: {str(e).splitlines()[0][:200]}"
        ours = [r["tokens_per_s"] for r in (row["eager"], row["compiled"]) if isinstance(r, dict)]
        if ours and isinstance(row["hf"], dict):
            row["ours_over_hf"] = max(ours) / row["hf"]["tokens_per_s"]
        rows.append(row)
    return rows


def _hf_row(s: Setup, ids_all, micro: int, *, dtype, steps: int) -> dict:
    """Real tokens/s of the HF loop at one shape."""
    import numpy as np

    fn = hf_step_fn(s, ids_all, micro, dtype)
    n_chunks = len(ids_all) // micro
    secs = _timed(fn, steps, WARMUP[0], s.device)
    real = sum(
        int(np.count_nonzero(ids_all[(k % n_chunks) * micro :][:micro] != s.pad))
        for k in range(WARMUP[0], WARMUP[0] + steps)
    )
    return {"tokens_per_s": real / secs}


def _backend(args: argparse.Namespace) -> str:
    return "eager" if args.smoke else "inductor"


def run_check(args: argparse.Namespace) -> dict[str, Any]:
    """Every section as one dict (what ``gpucheck.json`` holds)."""
    import torch

    from trainer.model import resolve_attention

    t0 = time.monotonic()
    deadline = t0 + args.budget_s
    dev = torch.device("cuda" if torch.cuda.is_available() and not args.smoke else "cpu")
    dtype = torch.bfloat16 if dev.type == "cuda" else None
    attention = resolve_attention("auto", dev)
    res: dict[str, Any] = {"smoke": args.smoke, "versions": versions(), "attention_path": attention}
    res["compile_backend"] = _backend(args)
    seq_len = SMOKE_GRID[0][0] if args.smoke else 512
    mcfg = _model_config(args, seq_len)
    ids = _blocks(args, seq_len, 8, mcfg.vocab_size)
    s = Setup(dev, mcfg, [ids], 1, _masker(mcfg.vocab_size), not args.data, _backend(args))
    res["sdpa_kernels"] = {p: sdpa_kernels(s, p, dtype) for p in ("masked", "jagged")}
    res["precision"] = precision_checks(s, 20 if not args.smoke else 2, attention)
    res["flops_conventions"] = {
        "mfu_actual": "3 x forward FLOPs: encoder matmuls + attention scores at T, MLM head on mask_prob of tokens",
        "mfu_6n": "6 x parameters (tied embedding once) x real tokens",
        "per_gpu": "one GPU's tokens/s over one GPU's dense bf16 peak",
    }
    res["grid"] = grid(args, dev, dtype, attention, deadline)
    res["seconds"] = time.monotonic() - t0
    return res


def summary(res: dict[str, Any]) -> str:
    """The markdown summary of ``run_check``'s result."""
    v, p = res["versions"], res["precision"]
    lines = [
        f"# gpucheck{' (smoke, CPU)' if res['smoke'] else ''}",
        "",
        f"torch {v['torch']}, CUDA {v['cuda']}, cuDNN {v['cudnn']}; device {v['device']}; "
        f"peak {v['peak_flops']} ({v['peak_source']}); attention path {res['attention_path']}",
        "",
        "SDPA kernels: " + "; ".join(f"{k}: {', '.join(n) or '-'}" for k, n in res["sdpa_kernels"].items()),
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


def main(argv: list[str]) -> int:
    p = Parser(prog="trainer gpucheck", description=__doc__.splitlines()[0])
    p.add_argument("--out", required=True, type=Path)
    p.add_argument("--data", help="token shards for real blocks (default: random full blocks)")
    p.add_argument("--smoke", action="store_true", help="the same code on CPU, tiny model, seconds")
    p.add_argument("--steps", type=positive_int, default=10, help="timed steps per shape")
    p.add_argument("--vocab", type=positive_int, default=50265, help="vocabulary without --data")
    p.add_argument("--budget-s", type=positive_int, default=420, help="skip grid cells past this")
    args = p.parse_args(argv)
    WARMUP[0] = 1 if args.smoke else 3
    if args.smoke:
        args.steps = 1
        args.vocab = min(args.vocab, 512)
    res = run_check(args)
    from common import atomic_path, write_json_atomic

    args.out.mkdir(parents=True, exist_ok=True)
    write_json_atomic(args.out / "gpucheck.json", res)
    with atomic_path(args.out / "gpucheck.md") as tmp:
        Path(tmp).write_text(summary(res), encoding="utf-8")
    print(summary(res))
    return 0
