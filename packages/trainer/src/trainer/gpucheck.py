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

from trainer.gpucheck_hf import hf_row
from trainer.gpucheck_summary import summary
from trainer.gpucheck_timing import WARMUP, timed

BF16_RTOL = 2e-2  # bf16 autocast vs fp32: mean relative loss difference over the 20 steps
COMPILE_RTOL = 1e-3  # compiled vs eager (same precision): max relative loss difference
GRID = [(512, 32), (512, 64), (128, 128), (128, 256)]
SMOKE_GRID = [(64, 4)]


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


def sdpa_kernels(s: Setup, attention: str, dtype) -> dict[str, Any]:
    """What runs for our attention in one training forward + backward: the attention ops (CPU side) and
    device kernels the profiler sees, and the backend they add up to (``attention_backend``)."""
    import torch
    from torch.profiler import ProfilerActivity, profile

    model, _, opt = _ours(s.mcfg, s.device, compile_=False, attention=attention)
    acts = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if s.device.type == "cuda" else [])
    ids = s.batches[0][: min(4, len(s.batches[0]))]
    with profile(activities=acts) as prof:
        our_step(model, opt, ids, s.masker, s.pad, s.device, step=0, attention=attention, dtype=dtype)
        if s.device.type == "cuda":
            torch.cuda.synchronize()
    ops, kernels = set(), set()
    for e in prof.events():
        on_device = str(getattr(e, "device_type", "")).endswith("CUDA")
        name = e.name
        if on_device and any(k in name.lower() for k in ("flash", "fmha", "attention", "sdpa", "efficient")):
            kernels.add(name[:160])
        elif name.startswith("aten::") and any(k in name for k in ("attention", "sdpa", "bmm")):
            ops.add(name)
    return {
        "ops": sorted(ops),
        "kernels": sorted(kernels),
        "attention_backend": attention_backend(ops, kernels),
    }


def attention_backend(ops: set[str], kernels: set[str]) -> str:
    """flash | efficient | cudnn | math: the SDPA backend that ``ops`` / device ``kernels`` names show.
    On CPU in training (dropout on) our attention is the written-out math of ``trainer.ops``."""
    names = " ".join(sorted(ops | kernels)).lower()
    for backend, keys in (
        ("flash", ("flash",)),
        ("efficient", ("efficient", "fmha_cutlass", "mem_eff")),
        ("cudnn", ("cudnn_attention", "cudnn", "sdpa_cudnn")),
    ):
        if any(k in names for k in keys):
            return backend
    return "math"


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
    secs = timed(fn, steps, warmup, s.device)
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

    rows, cost = [], {}  # cost: seconds the last cell of each kind took (a compile dominates the first)
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
            ("hf", hf_row, {"dtype": dtype, "steps": args.steps}),
        ):
            if time.monotonic() + cost.get(name, 0.0) > deadline:
                row[name] = "skipped: over --budget-s"
                continue
            t0 = time.monotonic()
            try:
                row[name] = fn(*shape, **extra)
            except Exception as e:  # noqa: BLE001 - one failing shape (e.g. out of memory) must not hide the rest
                row[name] = f"failed: {type(e).__name__}: {str(e).splitlines()[0][:200]}"
            cost[name] = time.monotonic() - t0
            _free(dev)
        ours = [r["tokens_per_s"] for r in (row["eager"], row["compiled"]) if isinstance(r, dict)]
        if ours and isinstance(row["hf"], dict):
            row["ours_over_hf"] = max(ours) / row["hf"]["tokens_per_s"]
        rows.append(row)
    return rows


def _free(dev) -> None:
    """Hand cached blocks back between cells, so one shape's leftovers cannot push the next out of memory."""
    import gc

    import torch

    gc.collect()
    if dev.type == "cuda":
        torch.cuda.empty_cache()


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
