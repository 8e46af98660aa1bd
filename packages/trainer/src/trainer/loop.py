"""The training loop: DDP over torchrun ranks, gradient accumulation with sync only on the last micro-step,
loss normalised by the masked-token count of the whole step across ranks, AdamW + warmup/linear decay,
bf16/fp16 autocast, validation with a fixed mask seed, atomic checkpoints and exact resume.

Usage: ``result = train(apply_overrides(preset("tiny"), ["--data.data=shards", "--run.out=run"]))``
"""

from __future__ import annotations

import contextlib
import dataclasses
import queue
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from trainer import variants  # paper ablations (§4.1-4.2): extra formats, static masks, NSP, dynamic batch
from trainer.checkpoint import (
    list_checkpoints,
    load_checkpoint,
    rng_state,
    save_checkpoint,
    set_rng_state,
    tokenizer_hash,
)
from trainer.components import amp_dtype, autocast, evaluate, make_masker, open_data, resolve_model, to_device
from trainer.config import Config, save_config
from trainer.data import BlockDataset, Sampler, Specials, derive_batch
from trainer.distributed import DistContext, all_reduce_sum, barrier, gather_objects, setup, teardown
from trainer.errors import TrainerError
from trainer.masking import IGNORE, Masker, mask_seed
from trainer.metrics import MetricsLog, mfu, peak_flops, perplexity
from trainer.model import Roberta, flops_per_token
from trainer.optim import build_optimizer


@dataclass
class TrainResult:
    """What a finished (or stopped) run reports: per-step train losses and validation losses by step."""

    run_dir: Path
    step: int
    config: Config
    losses: dict[int, float] = field(default_factory=dict)
    valid: dict[int, float] = field(default_factory=dict)
    checkpoint: Path | None = None


@dataclass
class RunState:
    """Everything a run carries from step to step; built once by ``_build``, restored by ``_restore``."""

    cfg: Config
    run_dir: Path
    train_ds: BlockDataset
    valid_ds: BlockDataset | None
    sp: Specials
    model: Roberta
    opt: torch.optim.Optimizer
    sched: torch.optim.lr_scheduler.LambdaLR
    scaler: torch.amp.GradScaler
    dtype: torch.dtype | None
    micro: int
    accum: int
    masker: Masker
    step: int = 0
    tokens_seen: int = 0


def train(cfg: Config) -> TrainResult:
    """Train (or resume) a RoBERTa MLM run as described by ``cfg``; works alone or under torchrun."""
    ctx = setup(cfg.run.device)
    try:
        return _train(cfg, ctx)
    finally:
        teardown(ctx)


def _build(cfg: Config, ctx: DistContext) -> RunState:
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
    mcfg = dataclasses.replace(mcfg, nsp=variants.format_has_nsp(cfg.data.format))
    train_ds = variants.wrap_train(cfg, train_ds)
    cfg = dataclasses.replace(cfg, model=mcfg)
    torch.manual_seed(cfg.run.seed)
    model = Roberta(mcfg)
    if init_state is not None:
        model.load_state_dict(init_state)
    model.to(ctx.device)
    opt, sched = build_optimizer(model, cfg.optim, fused=ctx.device.type == "cuda")
    dtype = amp_dtype(cfg.run.precision, ctx.device)
    scaler = torch.amp.GradScaler(ctx.device.type, enabled=dtype is torch.float16)
    return RunState(
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
    )


def _data_key(s: RunState) -> dict[str, Any]:
    """What fixes the data position: the same step means the same blocks only if these are unchanged."""
    return {
        "seed": s.cfg.run.seed,
        "batch_size": s.cfg.optim.batch_size,
        "micro_batch": s.micro,
        "seq_len": s.cfg.data.seq_len,
        "format": s.cfg.data.format,
        "blocks": len(s.train_ds),
    }


def _restore(s: RunState, ctx: DistContext) -> None:
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
    saved = {k: ckpt.state["data"].get(k) for k in _data_key(s)}
    if saved != _data_key(s):
        raise TrainerError(
            f"cannot resume {ckpt.path} exactly: data order settings changed "
            f"(checkpoint {saved}, now {_data_key(s)})"
        )
    s.model.load_state_dict(ckpt.state["model"])
    s.opt.load_state_dict(ckpt.state["optimizer"])
    s.sched.load_state_dict(ckpt.state["scheduler"])
    s.scaler.load_state_dict(ckpt.state["scaler"])
    rng = rngs[ctx.rank]
    rng["torch"] = rng["torch"].cpu()
    set_rng_state(rng)
    s.step, s.tokens_seen = ckpt.step, int(ckpt.state["data"]["tokens_seen"])


def _save(s: RunState, ctx: DistContext, valid_loss: float | None) -> Path | None:
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
                **_data_key(s),
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


class Prefetcher:
    """Builds the next steps' host batches (read + pack) on a background thread, in step order, so the
    accelerator never waits on numpy; batches depend only on (step, micro-step, rank), so this is exact."""

    def __init__(self, ds: BlockDataset, sampler: Sampler, rank: int, accum: int, start: int, depth: int = 2):
        self.ds, self.sampler, self.rank, self.accum = ds, sampler, rank, accum
        self.queue: queue.Queue = queue.Queue(maxsize=depth)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._work, args=(start,), daemon=True)
        self.thread.start()

    def _work(self, step: int) -> None:
        try:
            while not self.stop.is_set():
                chunks = [self.sampler.chunk(step, k, self.rank) for k in range(self.accum)]
                batches = [(idx, self.ds.batch(idx)) for idx in chunks]  # block ids: static masks, NSP labels
                while not self.stop.is_set():
                    try:
                        self.queue.put((step, batches), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                step += 1
        except Exception as e:  # surfaced in the training thread by get()
            self.queue.put((-1, e))

    def get(self, step: int) -> list[tuple[np.ndarray, np.ndarray]]:
        got, batches = self.queue.get()
        if got == -1:
            raise batches
        assert got == step, (got, step)
        return batches

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=5)


def _step(
    s: RunState, model: torch.nn.Module, fwd: Any, host: list[tuple[np.ndarray, np.ndarray]], ctx: DistContext
) -> dict:
    """One optimizer step over ``accum`` micro-batches; returns loss sum, masked count, tokens, norm, lr."""
    cfg, pad = s.cfg, s.sp.pad
    micro_batches, local_tokens, local_seqs = [], 0, 0
    for k, (idx, ids_np) in enumerate(host):
        real = int(np.count_nonzero(ids_np != pad))
        local_tokens += real
        local_seqs += len(idx)
        ids = to_device(ids_np, ctx.device)
        seed = mask_seed(cfg.run.seed, s.step, k * ctx.world + ctx.rank)
        inputs, labels = variants.mask_rows(s.train_ds, s.masker, ids, idx, seed)
        attn = inputs.ne(pad)[:, None, None, :] if real < ids_np.size else None
        micro_batches.append((inputs, labels, attn, variants.nsp_targets(s.train_ds, idx, ctx.device)))
    masked = sum(mb[1].ne(IGNORE).sum() for mb in micro_batches).double()
    counts = torch.stack(
        [
            masked,
            torch.tensor(float(local_tokens), dtype=torch.float64, device=ctx.device),
            torch.tensor(float(local_seqs), dtype=torch.float64, device=ctx.device),
        ]
    )
    all_reduce_sum(counts, ctx)
    n_masked = counts[0].clamp(min=1)
    loss_sum = torch.zeros((), dtype=torch.float64, device=ctx.device)
    nsp_sum = torch.zeros((), dtype=torch.float64, device=ctx.device)
    for k, (inputs, labels, attn, nsp) in enumerate(micro_batches):
        last = k == len(micro_batches) - 1
        with contextlib.nullcontext() if last or ctx.world == 1 else model.no_sync():
            with autocast(ctx.device, s.dtype):
                if nsp is None:
                    part = fwd(inputs, attn_mask=attn, labels=labels)
                else:  # +NSP formats: MLM mean over masked tokens + NSP mean over sequences (BERT)
                    part, nsp_part = fwd(inputs, attn_mask=attn, labels=labels, nsp_labels=nsp)
            # DDP averages gradients over ranks; x world turns that into a sum over all masked tokens
            total = part * ctx.world / n_masked
            if nsp is not None:
                total = total + nsp_part * ctx.world / counts[2].clamp(min=1)
                nsp_sum += nsp_part.detach().double()
            s.scaler.scale(total).backward()
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
    return {
        "loss_sum": loss_sum,
        "n_masked": n_masked,
        "tokens": int(counts[1]),
        "seqs": int(counts[2]),
        "nsp_sum": nsp_sum,
        "grad_norm": grad_norm,
        "lr": lr,
    }


def _wrap(s: RunState, ctx: DistContext) -> tuple[torch.nn.Module, Any]:
    """(DDP-wrapped model or the model itself, the callable used for forward: compiled when asked)."""
    model = s.model
    if ctx.world > 1:
        from torch.nn.parallel import DistributedDataParallel as DDP

        model = DDP(s.model, device_ids=[ctx.device] if ctx.device.type == "cuda" else None)
    return model, torch.compile(model) if s.cfg.run.compile else model


def _train(cfg: Config, ctx: DistContext) -> TrainResult:
    s = _build(cfg, ctx)
    _restore(s, ctx)
    cfg = s.cfg
    if ctx.is_main:
        save_config(cfg, s.run_dir / "config.json")
    model, fwd = _wrap(s, ctx)
    sampler = variants.make_sampler(cfg, s.train_ds, micro=s.micro, accum=s.accum, world=ctx.world)
    log = MetricsLog(s.run_dir / "metrics.jsonl", enabled=ctx.is_main)
    result = TrainResult(run_dir=s.run_dir, step=s.step, config=cfg)
    fpt = flops_per_token(cfg.model, cfg.data.seq_len, cfg.data.mask_prob)
    peak = peak_flops(torch.cuda.get_device_name(ctx.device)) if ctx.device.type == "cuda" else None
    max_steps = cfg.optim.max_steps
    stop = min(max_steps, cfg.run.stop_at) if cfg.run.stop_at > 0 else max_steps
    pbar = _progress(cfg, ctx, s.step, max_steps)
    prefetch = Prefetcher(s.train_ds, sampler, ctx.rank, s.accum, start=s.step)
    s.model.train()
    window_tokens, t_window = 0, time.perf_counter()
    try:
        while s.step < stop:
            out = _step(s, model, fwd, prefetch.get(s.step), ctx)
            s.tokens_seen += out["tokens"]
            window_tokens += out["tokens"]
            pbar.update(1)
            if s.step % cfg.run.log_every == 0 or s.step == stop:
                loss = float(all_reduce_sum(out["loss_sum"], ctx) / out["n_masked"])
                tps = window_tokens / max(time.perf_counter() - t_window, 1e-9)
                rec = {
                    "kind": "train",
                    "step": s.step,
                    "loss": loss,
                    "ppl": perplexity(loss),
                    "lr": out["lr"],
                    "grad_norm": float(out["grad_norm"]),
                    "tokens_per_s": tps,
                    "tokens_seen": s.tokens_seen,
                    "epoch": sampler.epoch(s.step),
                    "time": time.time(),
                    "cpu_s": time.process_time(),
                }  # CPU seconds of this process: robust on a busy machine
                if peak:
                    rec["mfu"] = mfu(tps, fpt, peak)
                if cfg.model.nsp:
                    rec["nsp_loss"] = float(all_reduce_sum(out["nsp_sum"], ctx) / max(out["seqs"], 1))
                rec["seqs"] = out["seqs"]
                log.write(rec)
                result.losses[s.step] = loss
                pbar.set_postfix(loss=f"{loss:.3f}", lr=f"{out['lr']:.2e}", tok_s=f"{tps:,.0f}")
                window_tokens, t_window = 0, time.perf_counter()
            valid_loss, end = None, s.step == max_steps
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
    finally:
        prefetch.close()
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
