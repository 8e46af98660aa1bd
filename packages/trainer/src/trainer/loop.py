"""The training loop: DDP over torchrun ranks, gradient accumulation with sync only on the last micro-step,
loss normalised by the masked-token count of the whole step across ranks, AdamW + warmup/linear decay,
bf16/fp16 autocast, validation with a fixed mask seed, atomic checkpoints and exact resume.

Usage: ``result = train(apply_overrides(preset("tiny"), ["--data.data=shards", "--run.out=run"]))``
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tokenizer.shards import read_manifest

from trainer.checkpoint import (
    list_checkpoints,
    load_checkpoint,
    rng_state,
    save_checkpoint,
    set_rng_state,
    tokenizer_hash,
)
from trainer.config import Config, ModelConfig, save_config
from trainer.data import BlockDataset, Sampler, Specials, derive_batch
from trainer.distributed import DistContext, all_reduce_sum, barrier, gather_objects, setup, teardown
from trainer.errors import TrainerError
from trainer.masking import IGNORE, Masker, mask_seed
from trainer.metrics import MetricsLog, mfu, peak_flops, perplexity
from trainer.model import Roberta, flops_per_token
from trainer.optim import build_optimizer

VALID_SEED = 20190726  # fixed validation mask seed (RoBERTa's arXiv date), independent of the run seed


@dataclass
class TrainResult:
    """What a finished (or stopped) run reports: per-step train losses and validation losses by step."""

    run_dir: Path
    step: int
    config: Config
    losses: dict[int, float] = field(default_factory=dict)
    valid: dict[int, float] = field(default_factory=dict)
    checkpoint: Path | None = None


def tokenizer_vocab_size(folder: Path) -> int:
    """Vocabulary size of a tokenizer folder: highest id in vocab.json / tokenizer.json added tokens + 1."""
    vocab_path = folder / "vocab.json"
    if not vocab_path.is_file():
        raise TrainerError(f"tokenizer folder {folder} has no vocab.json")
    ids = list(json.loads(vocab_path.read_text(encoding="utf-8")).values())
    tj = folder / "tokenizer.json"
    if tj.is_file():
        ids += [t["id"] for t in json.loads(tj.read_text(encoding="utf-8")).get("added_tokens", [])]
    return max(ids) + 1


def resolve_model(
    cfg: Config, manifest: dict[str, Any], specials: Specials
) -> tuple[ModelConfig, dict | None]:
    """Model config fitted to the shards (vocab, pad) or taken from ``--run.init_from``; checks fit."""
    vocab = int(manifest["vocab_size"])
    init_state = None
    if cfg.run.init_from:
        from trainer.export import import_hf

        mcfg, init_state = import_hf(Path(cfg.run.init_from))
        mcfg = dataclasses.replace(mcfg, dropout=cfg.model.dropout, attn_dropout=cfg.model.attn_dropout)
        if mcfg.vocab_size != vocab:
            raise TrainerError(f"--run.init_from model has vocab_size {mcfg.vocab_size}, shards have {vocab}")
    else:
        mcfg = dataclasses.replace(cfg.model, vocab_size=vocab, pad_id=specials.pad)
    need = cfg.data.seq_len + mcfg.pad_id + 1
    if mcfg.max_positions < need:
        raise TrainerError(
            f"seq_len {cfg.data.seq_len} needs model.max_positions >= {need} "
            f"(RoBERTa's padding offset), got {mcfg.max_positions}"
        )
    return mcfg, init_state


def open_data(cfg: Config) -> tuple[BlockDataset, BlockDataset | None, dict[str, Any], Specials]:
    """Train/valid block datasets, the manifest and specials, with the tokenizer/shard vocab check."""
    if not cfg.data.data:
        raise TrainerError("no shards given (--data SHARDS)")
    kw = {"seq_len": cfg.data.seq_len, "fmt": cfg.data.format}
    train_ds = BlockDataset.open(cfg.data.data, "train", verify=cfg.data.verify, **kw)
    manifest = read_manifest(cfg.data.data)
    has_valid = bool(manifest["splits"].get("valid"))
    valid_ds = BlockDataset.open(cfg.data.data, "valid", **kw) if has_valid else None
    if cfg.data.tokenizer:
        tok_vocab = tokenizer_vocab_size(Path(cfg.data.tokenizer))
        if tok_vocab != int(manifest["vocab_size"]):
            raise TrainerError(
                f"tokenizer/shard vocabulary mismatch: {cfg.data.tokenizer} has {tok_vocab} ids, "
                f"shards {cfg.data.data} were written with vocab_size {manifest['vocab_size']}"
            )
    return train_ds, valid_ds, manifest, Specials.from_manifest(manifest)


def amp_dtype(precision: str, device: torch.device) -> torch.dtype | None:
    if precision == "auto":
        precision = "bf16" if device.type == "cuda" else "fp32"
    table = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}
    if precision not in table:
        raise TrainerError(f"unknown --run.precision {precision!r} (auto, fp32, bf16, fp16)")
    return table[precision]


class Step:
    """Everything the loop needs per step; built once by ``_build``."""

    def __init__(self, **kw: Any) -> None:
        self.__dict__.update(kw)


def make_masker(cfg: Config, mcfg: ModelConfig, sp: Specials) -> Masker:
    return Masker(
        vocab_size=mcfg.vocab_size,
        mask_id=sp.mask,
        special_ids=tuple(sp.ids()),
        mask_prob=cfg.data.mask_prob,
        mask_token_frac=cfg.data.mask_token_frac,
        random_token_frac=cfg.data.random_token_frac,
    )


def to_device(ids: np.ndarray, device: torch.device) -> torch.Tensor:
    t = torch.from_numpy(ids)
    return t.pin_memory().to(device, non_blocking=True) if device.type == "cuda" else t


def evaluate(
    model: torch.nn.Module,
    ds: BlockDataset,
    masker: Masker,
    cfg: Config,
    ctx: DistContext,
    micro: int,
    dtype: torch.dtype | None,
) -> tuple[float, int]:
    """Mean MLM loss over the first ``valid_blocks`` held-out blocks with a fixed mask seed.
    Group ``g`` (blocks ``[g*micro, (g+1)*micro)``) goes to rank ``g % world`` and is masked with seed
    (VALID_SEED, g), so the figure does not depend on the number of ranks."""
    n = min(cfg.data.valid_blocks, len(ds))
    was_training = model.training
    model.eval()
    total = torch.zeros(2, dtype=torch.float64, device=ctx.device)
    with torch.no_grad():
        for g in range(ctx.rank, math.ceil(n / micro), ctx.world):
            ids = to_device(ds.batch(np.arange(g * micro, min(n, (g + 1) * micro))), ctx.device)
            inputs, labels = masker(ids, seed=mask_seed(VALID_SEED, g))
            with autocast(ctx.device, dtype):
                loss = model(inputs, attn_mask=inputs.ne(ds.pad)[:, None, None, :], labels=labels)
            total += torch.stack([loss.double(), labels.ne(IGNORE).sum().double()])
    all_reduce_sum(total, ctx)
    model.train(was_training)
    return float(total[0] / total[1].clamp(min=1)), int(total[1])


def autocast(device: torch.device, dtype: torch.dtype | None) -> contextlib.AbstractContextManager:
    if dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=dtype)


def train(cfg: Config) -> TrainResult:
    """Train (or resume) a RoBERTa MLM run as described by ``cfg``; works alone or under torchrun."""
    ctx = setup(cfg.run.device)
    try:
        return _train(cfg, ctx)
    finally:
        teardown(ctx)


def _build(cfg: Config, ctx: DistContext) -> Step:
    if not cfg.run.out:
        raise TrainerError("no run folder given (--out RUNDIR)")
    if cfg.run.threads > 0:
        torch.set_num_threads(cfg.run.threads)
    run_dir = Path(cfg.run.out)
    if list_checkpoints(run_dir) and not cfg.run.resume:
        raise TrainerError(
            f"{run_dir} already has checkpoints: pass --resume to continue, or use a new --out"
        )
    train_ds, valid_ds, manifest, sp = open_data(cfg)
    mcfg, init_state = resolve_model(cfg, manifest, sp)
    micro, accum = derive_batch(cfg.optim.batch_size, cfg.optim.micro_batch, ctx.world)
    cfg = dataclasses.replace(cfg, model=mcfg)
    torch.manual_seed(cfg.run.seed)
    model = Roberta(mcfg)
    if init_state is not None:
        model.load_state_dict(init_state)
    model.to(ctx.device)
    opt, sched = build_optimizer(model, cfg.optim, fused=ctx.device.type == "cuda")
    dtype = amp_dtype(cfg.run.precision, ctx.device)
    scaler = torch.amp.GradScaler(ctx.device.type, enabled=dtype is torch.float16)
    return Step(
        cfg=cfg,
        run_dir=run_dir,
        train_ds=train_ds,
        valid_ds=valid_ds,
        sp=sp,
        model=model,
        opt=opt,
        sched=sched,
        scaler=scaler,
        dtype=dtype,
        micro=micro,
        accum=accum,
        masker=make_masker(cfg, mcfg, sp),
        step=0,
        tokens_seen=0,
    )


def _restore(s: Step, ctx: DistContext) -> None:
    found = list_checkpoints(s.run_dir) if s.cfg.run.resume else []
    if not found:
        return
    ckpt = load_checkpoint(found[-1], map_location=ctx.device)
    rngs = ckpt.state["rng"]
    if len(rngs) != ctx.world:
        raise TrainerError(
            f"checkpoint {ckpt.path} was written by {len(rngs)} ranks; resume with the same "
            f"number (now {ctx.world})"
        )
    s.model.load_state_dict(ckpt.state["model"])
    s.opt.load_state_dict(ckpt.state["optimizer"])
    s.sched.load_state_dict(ckpt.state["scheduler"])
    s.scaler.load_state_dict(ckpt.state["scaler"])
    rng = rngs[ctx.rank]
    rng["torch"] = rng["torch"].cpu()
    set_rng_state(rng)
    s.step, s.tokens_seen = ckpt.step, int(ckpt.state["data"]["tokens_seen"])


def _save(s: Step, ctx: DistContext, valid_loss: float | None) -> Path | None:
    rngs = gather_objects(rng_state(), ctx)
    path = None
    if ctx.is_main:
        state = {
            "model": s.model.state_dict(),
            "optimizer": s.opt.state_dict(),
            "scheduler": s.sched.state_dict(),
            "scaler": s.scaler.state_dict(),
            "rng": rngs,
            "data": {
                "step": s.step,
                "tokens_seen": s.tokens_seen,
                "seed": s.cfg.run.seed,
                "format": s.cfg.data.format,
                "world": ctx.world,
            },
        }
        meta = {
            "tokens_seen": s.tokens_seen,
            "model": dataclasses.asdict(s.cfg.model),
            "tokenizer_sha256": tokenizer_hash(s.cfg.data.tokenizer),
            "tokenizer_dir": str(Path(s.cfg.data.tokenizer).resolve()) if s.cfg.data.tokenizer else None,
            "specials": dataclasses.asdict(s.sp),
            "world_size": ctx.world,
            "valid_loss": valid_loss,
            "preset": s.cfg.preset,
        }
        path = save_checkpoint(s.run_dir, s.step, state, meta, keep_last=s.cfg.run.keep_last)
    barrier(ctx)
    return path


def _train(cfg: Config, ctx: DistContext) -> TrainResult:
    s = _build(cfg, ctx)
    _restore(s, ctx)
    cfg = s.cfg
    if ctx.is_main:
        save_config(cfg, s.run_dir / "config.json")
    model = s.model
    if ctx.world > 1:
        from torch.nn.parallel import DistributedDataParallel as DDP

        model = DDP(s.model, device_ids=[ctx.device] if ctx.device.type == "cuda" else None)
    fwd = torch.compile(model) if cfg.run.compile else model
    sampler = Sampler(
        len(s.train_ds),
        seed=cfg.run.seed,
        batch_size=cfg.optim.batch_size,
        micro_batch=s.micro,
        world=ctx.world,
    )
    log = MetricsLog(s.run_dir / "metrics.jsonl", enabled=ctx.is_main)
    result = TrainResult(run_dir=s.run_dir, step=s.step, config=cfg)
    fpt = flops_per_token(cfg.model, cfg.data.seq_len, cfg.data.mask_prob)
    peak = peak_flops(torch.cuda.get_device_name(ctx.device)) if ctx.device.type == "cuda" else None
    max_steps = cfg.optim.max_steps
    stop = min(max_steps, cfg.run.stop_at) if cfg.run.stop_at > 0 else max_steps
    pbar = _progress(cfg, ctx, s.step, max_steps)
    pad = s.sp.pad
    s.model.train()
    window_tokens, t_window = 0, time.perf_counter()
    while s.step < stop:
        micro_batches, local_tokens = [], 0
        for k in range(s.accum):
            ids_np = s.train_ds.batch(sampler.chunk(s.step, k, ctx.rank))
            real = int(np.count_nonzero(ids_np != pad))
            local_tokens += real
            ids = to_device(ids_np, ctx.device)
            inputs, labels = s.masker(
                ids, seed=mask_seed(cfg.run.seed, s.step, sampler.chunk_id(k, ctx.rank))
            )
            attn = inputs.ne(pad)[:, None, None, :] if real < ids_np.size else None
            micro_batches.append((inputs, labels, attn))
        counts = torch.stack(
            [
                sum(lb.ne(IGNORE).sum() for _, lb, _ in micro_batches).double(),
                torch.tensor(float(local_tokens), dtype=torch.float64, device=ctx.device),
            ]
        )
        all_reduce_sum(counts, ctx)
        n_masked = counts[0].clamp(min=1)
        loss_sum = torch.zeros((), dtype=torch.float64, device=ctx.device)
        for k, (inputs, labels, attn) in enumerate(micro_batches):
            last = k == s.accum - 1
            sync = contextlib.nullcontext() if last or ctx.world == 1 else model.no_sync()
            with sync:
                with autocast(ctx.device, s.dtype):
                    part = fwd(inputs, attn_mask=attn, labels=labels)
                # DDP averages gradients over ranks; x world turns that into a sum over all masked tokens
                s.scaler.scale(part * ctx.world / n_masked).backward()
            loss_sum += part.detach().double()
        s.scaler.unscale_(s.opt)
        clip = cfg.optim.clip if cfg.optim.clip > 0 else float("inf")
        grad_norm = torch.nn.utils.clip_grad_norm_(s.model.parameters(), clip)
        lr = s.sched.get_last_lr()[0]
        s.scaler.step(s.opt)
        s.scaler.update()
        s.opt.zero_grad(set_to_none=True)
        s.sched.step()
        s.step += 1
        step_tokens = int(counts[1])
        s.tokens_seen += step_tokens
        window_tokens += step_tokens
        pbar.update(1)
        if s.step % cfg.run.log_every == 0 or s.step == stop:
            loss = float(all_reduce_sum(loss_sum, ctx) / n_masked)
            elapsed = time.perf_counter() - t_window
            tps = window_tokens / max(elapsed, 1e-9)
            rec = {
                "kind": "train",
                "step": s.step,
                "loss": loss,
                "ppl": perplexity(loss),
                "lr": lr,
                "grad_norm": float(grad_norm),
                "tokens_per_s": tps,
                "tokens_seen": s.tokens_seen,
                "epoch": sampler.epoch(s.step),
                "time": time.time(),
                "cpu_s": time.process_time(),  # CPU seconds of this process: robust on a busy machine
            }
            if peak:
                rec["mfu"] = mfu(tps, fpt, peak)
            log.write(rec)
            result.losses[s.step] = loss
            pbar.set_postfix(loss=f"{loss:.3f}", lr=f"{lr:.2e}", tok_s=f"{tps:,.0f}")
            window_tokens, t_window = 0, time.perf_counter()
        valid_loss = None
        end = s.step == max_steps
        if s.valid_ds is not None and (s.step % cfg.run.eval_every == 0 or end):
            valid_loss, n = evaluate(s.model, s.valid_ds, s.masker, cfg, ctx, s.micro, s.dtype)
            log.write(
                {
                    "kind": "valid",
                    "step": s.step,
                    "loss": valid_loss,
                    "ppl": perplexity(valid_loss),
                    "masked_tokens": n,
                    "time": time.time(),
                }
            )
            result.valid[s.step] = valid_loss
        if s.step % cfg.run.save_every == 0 or end or s.step == stop:
            result.checkpoint = _save(s, ctx, valid_loss)
    pbar.close()
    result.step = s.step
    return result


def _progress(cfg: Config, ctx: DistContext, initial: int, total: int):
    from tqdm import tqdm

    return tqdm(
        total=total,
        initial=initial,
        desc=f"train {cfg.preset}",
        unit="step",
        disable=not (ctx.is_main and cfg.run.progress),
        dynamic_ncols=True,
    )
