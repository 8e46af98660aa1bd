"""``python -m trainer bench``: side-by-side speed in one run, same shards, config, batch, threads.

1. the project trainer (the real ``train`` loop, in-process) vs a plain loop over
   ``transformers.RobertaForMaskedLM`` + ``DataCollatorForLanguageModeling`` fed the same packed blocks,
   same batch / micro-batch, sequence length, AdamW settings and thread count -> tokens/s and their ratio;
2. the data pipeline alone (read + pack + mask, exactly as the loop does it) vs what the model consumes;
3. on a GPU, tokens/s and MFU of the chosen preset (default ``base`` at T=512 in bf16).

Rounds alternate trainer / HF so a noisy shared machine hurts both alike; the median round is reported.

Usage: ``python -m trainer bench --data SHARDS --tokenizer TOKDIR [--steps 20] [--rounds 2]``
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from common import Parser, non_negative_int, positive_int

from trainer.config import Config, apply_overrides, preset


def _cfg(args: argparse.Namespace, out: Path, steps: int) -> Config:
    over = [
        f"--data.data={args.data}",
        f"--data.tokenizer={args.tokenizer}",
        f"--run.out={out}",
        f"--optim.max_steps={steps}",
        "--run.log_every=1",
        f"--run.eval_every={10**9}",
        f"--run.save_every={10**9}",
        "--run.progress=false",
        "--data.verify=false",
        f"--run.device={args.device}",
        "--run.keep_last=1",
    ]
    if args.threads:
        over.append(f"--run.threads={args.threads}")
    return apply_overrides(preset(args.preset), over + list(args.overrides))


def tokens_per_s(records: list[dict[str, Any]], skip: int) -> dict[str, float]:
    """Throughput over the logged steps after ``skip`` warm-up steps: per wall second and per CPU second
    of the process (the latter is what to compare on a machine shared with other jobs)."""
    train = [r for r in records if r.get("kind") == "train"]
    a, b = train[skip - 1], train[-1]
    tokens = b["tokens_seen"] - a["tokens_seen"]
    return {
        "tokens_per_s": tokens / (b["time"] - a["time"]),
        "tokens_per_cpu_s": tokens / (b["cpu_s"] - a["cpu_s"]),
    }


def bench_trainer(args: argparse.Namespace) -> dict[str, Any]:
    from trainer.loop import train
    from trainer.metrics import read_metrics

    with tempfile.TemporaryDirectory() as tmp:
        cfg = _cfg(args, Path(tmp), args.warmup + args.steps)
        train(cfg)
        recs = read_metrics(Path(tmp) / "metrics.jsonl")
    out = tokens_per_s(recs, args.warmup)
    if "mfu" in recs[-1]:
        out["mfu"] = statistics.median(r["mfu"] for r in recs[args.warmup :] if r.get("kind") == "train")
    return out


def bench_hf(args: argparse.Namespace) -> dict[str, Any]:
    """The plain Hugging Face loop over the same blocks (one micro-batch = one collator call)."""
    import numpy as np
    import torch
    from transformers import (
        DataCollatorForLanguageModeling,
        RobertaConfig,
        RobertaForMaskedLM,
        RobertaTokenizerFast,
    )

    from trainer.data import BlockDataset, Sampler, derive_batch
    from trainer.export import hf_config
    from trainer.optim import build_optimizer

    cfg = _cfg(args, Path("unused"), 0)
    if cfg.run.threads:
        torch.set_num_threads(cfg.run.threads)
    device = torch.device("cuda" if args.device == "cuda" else "cpu")
    ds = BlockDataset.open(cfg.data.data, "train", seq_len=cfg.data.seq_len)
    tok = RobertaTokenizerFast.from_pretrained(cfg.data.tokenizer)
    vocab = int(json.loads((Path(cfg.data.data) / "manifest.json").read_text())["vocab_size"])
    mcfg = cfg.model.__class__(**{**cfg.model.__dict__, "vocab_size": vocab})
    torch.manual_seed(0)
    model = RobertaForMaskedLM(RobertaConfig(**hf_config(mcfg))).to(device).train()
    opt, sched = build_optimizer(model, cfg.optim)
    collate = DataCollatorForLanguageModeling(tokenizer=tok, mlm_probability=cfg.data.mask_prob)
    micro, accum = derive_batch(cfg.optim.batch_size, cfg.optim.micro_batch, 1)
    sampler = Sampler(len(ds), seed=0, batch_size=cfg.optim.batch_size, micro_batch=micro, world=1)
    amp = device.type == "cuda" and cfg.run.precision in ("bf16", "auto")
    tokens, t0, c0 = 0, 0.0, 0.0
    for step in range(args.warmup + args.steps):
        if step == args.warmup:
            tokens, t0, c0 = 0, time.perf_counter(), time.process_time()
        for k in range(accum):
            blocks = [ds.block(int(i)) for i in sampler.chunk(step, k, 0)]
            batch = collate([{"input_ids": b.tolist()} for b in blocks])
            batch = {key: v.to(device) for key, v in batch.items()}
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp):
                loss = model(**batch).loss / accum
            loss.backward()
            tokens += int(np.sum([len(b) for b in blocks]))
        torch.nn.utils.clip_grad_norm_(model.parameters(), float("inf"))
        opt.step()
        opt.zero_grad(set_to_none=True)
        sched.step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return {
        "tokens_per_s": tokens / (time.perf_counter() - t0),
        "tokens_per_cpu_s": tokens / (time.process_time() - c0),
    }


def bench_data(args: argparse.Namespace) -> dict[str, Any]:
    """Read + pack + mask alone, the way the loop does it, for the same number of steps."""
    import numpy as np
    import torch
    from tokenizer import read_manifest

    from trainer.data import BlockDataset, Sampler, Specials, derive_batch
    from trainer.masking import make_masker, mask_seed

    cfg = _cfg(args, Path("unused"), 0)
    t0 = time.perf_counter()
    ds = BlockDataset.open(cfg.data.data, "train", seq_len=cfg.data.seq_len)
    index_s = time.perf_counter() - t0
    manifest = read_manifest(cfg.data.data)
    sp = Specials.from_manifest(manifest)
    masker = make_masker(cfg.data, int(manifest["vocab_size"]), tuple(sp.ids()), sp.mask)
    micro, accum = derive_batch(cfg.optim.batch_size, cfg.optim.micro_batch, 1)
    sampler = Sampler(len(ds), seed=0, batch_size=cfg.optim.batch_size, micro_batch=micro, world=1)
    n_steps = 4 * (args.warmup + args.steps)
    tokens, t0, c0 = 0, time.perf_counter(), time.process_time()
    for step in range(n_steps):
        for k in range(accum):
            ids = ds.batch(sampler.chunk(step, k, 0))
            tokens += int(np.count_nonzero(ids != sp.pad))
            masker(torch.from_numpy(ids), seed=mask_seed(0, step, k))
    return {
        "tokens_per_s": tokens / (time.perf_counter() - t0),
        "tokens_per_cpu_s": tokens / (time.process_time() - c0),
        "index_s": index_s,
        "blocks": len(ds),
    }


def run_bench(args: argparse.Namespace) -> dict[str, Any]:
    """All measurements as one dict (also printed by ``main``)."""
    rounds: dict[str, list[dict[str, Any]]] = {"trainer": [], "hf": []}
    for _ in range(args.rounds):
        rounds["trainer"].append(bench_trainer(args))
        if not args.no_hf:
            rounds["hf"].append(bench_hf(args))

    def med(name: str, key: str) -> float:
        return statistics.median(r[key] for r in rounds[name])

    data = bench_data(args)
    result: dict[str, Any] = {
        "preset": args.preset,
        "device": args.device,
        "threads": args.threads,
        "steps": args.steps,
        "overrides": list(args.overrides),
        "rounds": rounds,
        "data": data,
    }
    for key in ("tokens_per_s", "tokens_per_cpu_s"):
        result[f"trainer_{key}"] = med("trainer", key)
        result[f"data_{key}"] = data[key]
        result[f"data_over_model_{key}"] = data[key] / result[f"trainer_{key}"]
        if rounds["hf"]:
            result[f"hf_{key}"] = med("hf", key)
            result[f"trainer_over_hf_{key}"] = result[f"trainer_{key}"] / result[f"hf_{key}"]
    mfus = [r["mfu"] for r in rounds["trainer"] if "mfu" in r]
    if mfus:
        result["mfu"] = statistics.median(mfus)
    return result


def plot_bench(res: dict[str, Any], out: Path) -> Path:
    """Bar chart of tokens per CPU second and per wall second: trainer, HF loop, data pipeline (log scale)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [n for n in ("trainer", "hf", "data") if f"{n}_tokens_per_s" in res]
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for ax, key in zip(axes, ("tokens_per_s", "tokens_per_cpu_s"), strict=True):
        values = [res[f"{n}_{key}"] for n in names]
        ax.bar(names, values, color=["tab:blue", "tab:orange", "tab:green"][: len(names)])
        ax.set_yscale("log")
        ax.set_title(key.replace("_", " "))
        for i, v in enumerate(values):
            ax.text(i, v, f"{v:,.0f}", ha="center", va="bottom")
    ratio = f", trainer/HF {res['trainer_over_hf_tokens_per_cpu_s']:.2f}x" if "hf_tokens_per_s" in res else ""
    fig.suptitle(f"trainer bench: preset {res['preset']} on {res['device']}{ratio}")
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out


def main(argv: list[str]) -> int:
    p = Parser(prog="trainer bench", description=__doc__.splitlines()[0])
    p.add_argument("--data", required=True)
    p.add_argument("--tokenizer", required=True)
    p.add_argument("--preset", default=None, help="default: tiny on CPU, base on GPU")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.add_argument("--steps", type=positive_int, default=20, help="timed optimizer steps per round")
    # throughput is measured from the record of the last untimed step, so at least one is needed
    p.add_argument("--warmup", type=positive_int, default=3, help="untimed steps first (at least 1)")
    p.add_argument("--rounds", type=positive_int, default=2)
    p.add_argument(
        "--threads", type=non_negative_int, default=0, help="torch threads for both loops (0 = default)"
    )
    p.add_argument("--no-hf", action="store_true", help="skip the transformers loop (e.g. base on GPU)")
    p.add_argument("--out", type=Path, help="also write the results as JSON here (and a bar chart .png)")
    args, rest = p.parse_known_args(argv)
    apply_overrides(preset("tiny"), rest)  # a bad --section.field=value fails now, before any training
    args.overrides = rest
    import torch

    if args.device == "auto":
        args.device = "cuda" if torch.cuda.is_available() else "cpu"
    if args.preset is None:
        args.preset = "base" if args.device == "cuda" else "tiny"
    if args.device == "cuda":  # base at T=512 in bf16; a 256-sequence step keeps a round short
        defaults = {"--run.precision": "bf16", "--optim.batch_size": "256", "--optim.micro_batch": "32"}
        for key, value in defaults.items():
            if not any(o.startswith(key + "=") for o in rest):
                args.overrides.append(f"{key}={value}")
    if args.threads:
        torch.set_num_threads(args.threads)
    res = run_bench(args)
    print(json.dumps(res, indent=2))
    for key, unit in (("tokens_per_s", "tok/s"), ("tokens_per_cpu_s", "tok/CPU-s")):
        line = f"{unit:>9}: trainer {res[f'trainer_{key}']:,.0f}"
        if f"hf_{key}" in res:
            line += f" | HF loop {res[f'hf_{key}']:,.0f} | ratio {res[f'trainer_over_hf_{key}']:.2f}x"
        line += f" | data pipeline {res[f'data_{key}']:,.0f} = {res[f'data_over_model_{key}']:.0f}x model"
        print(line)
    if "mfu" in res:
        print(f"MFU {res['mfu']:.1%}")
    if args.out:
        from common import write_json_atomic

        write_json_atomic(args.out, res)
        print(plot_bench(res, args.out.with_suffix(".png")))
    return 0
