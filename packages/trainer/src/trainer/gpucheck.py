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


@dataclasses.dataclass
class Setup:
    device: Any
    mcfg: Any  # ModelConfig
    batches: list  # host ids (B, T) per step, for the largest micro of each seq_len (sliced down)
    pad: int
    masker: Any
    synthetic: bool


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


def _ours(mcfg, device, *, compile_: bool, attention: str, seed: int = 0):
    """(model handle, bare model, fused-when-CUDA AdamW) as ``run.build_run`` makes them."""
    import torch

    from trainer.config import OptimConfig
    from trainer.model import Roberta
    from trainer.optim import build_optimizer

    torch.manual_seed(seed)
    bare = Roberta(mcfg).to(device).train()
    opt, _ = build_optimizer(bare, OptimConfig(warmup_steps=1), fused=device.type == "cuda")
    return (torch.compile(bare) if compile_ else bare), bare, opt


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
        model, _, opt = _ours(mcfg, dev, compile_=compile_, attention=attention)
        out = [
            our_step(model, opt, ids, s.masker, s.pad, dev, step=k, attention=attention, dtype=dtype, scaler=scaler)
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
