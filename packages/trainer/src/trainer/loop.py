"""The training loop on one screen: ``train`` runs the steps, ``train_step`` is one optimizer step.

DDP over torchrun ranks, gradient accumulation with sync only on the last micro-step, the loss normalised by
the masked-token count of the whole step across ranks, AdamW + warmup/linear decay, bf16/fp16 autocast,
validation with a fixed mask seed, atomic checkpoints and exact resume. Setup (data checks, the resolved
config, model, optimizer, resume) is ``trainer.run``; how the input format masks, samples and labels NSP is
``trainer.formats`` (the loop never asks which format it has).

Usage: ``result = train(apply_overrides(preset("tiny"), ["--data.data=shards", "--run.out=run"]))``
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from trainer.config import Config, save_config
from trainer.data import Prefetcher
from trainer.distributed import DistContext, all_reduce_sum, setup, teardown, to_device
from trainer.evaluate import evaluate
from trainer.masking import IGNORE, mask_seed, mlm_capacity
from trainer.metrics import TrainLog, lookup_peak, six_n_flops_per_token
from trainer.model import (
    Packing,
    attention_mask,
    count_params,
    flops_per_token,
    pack_batch,
    resolve_attention,
)
from trainer.precision import autocast
from trainer.preempt import StopSignal
from trainer.run import RunState, bare, build_run, save_run


@dataclass
class TrainResult:
    """What a finished (or stopped) run reports: per-step train losses and validation losses by step."""

    run_dir: Path
    step: int
    config: Config
    losses: dict[int, float] = field(default_factory=dict)
    valid: dict[int, float] = field(default_factory=dict)
    checkpoint: Path | None = None
    stopped_by: str = ""  # the signal that stopped the run early ("SIGUSR1", "SIGTERM"), checkpoint saved


@dataclass
class StepOut:
    """One optimizer step's sums over all micro-batches (loss sums local to this rank, counts global).
    Counts that need a cross-rank sum stay device tensors (read only on log steps: no host wait per step)."""

    loss_sum: torch.Tensor  # MLM cross-entropy summed over this rank's masked tokens
    nsp_sum: torch.Tensor  # NSP cross-entropy summed over this rank's sequences (0 without NSP)
    n_masked: torch.Tensor  # masked tokens of the step, all ranks
    tokens: int | torch.Tensor  # real (non-pad) tokens of the step, all ranks (a host int on one rank)
    seqs: int | torch.Tensor  # sequences of the step, all ranks
    grad_norm: torch.Tensor  # a tensor: reading it would sync the device every step
    lr: float
    dropped: torch.Tensor  # masked tokens of this rank past the head's fixed capacity (expected 0)


@dataclass
class MicroBatch:
    """One micro-batch on the device: inputs, labels, the attention input of its path (a key mask or
    None on the masked path, a ``Packing`` on the jagged one), NSP labels or None, the head's capacity."""

    inputs: torch.Tensor
    labels: torch.Tensor
    attn: torch.Tensor | None
    packing: Packing | None
    nsp: torch.Tensor | None
    capacity: int


def train(config: Config) -> TrainResult:
    """Train (or resume) a RoBERTa MLM run as described by ``config``; works alone or under torchrun."""
    ctx = setup(config.run.device)
    try:
        s = build_run(config, ctx)
        cfg = s.cfg  # resolved by setup (model fitted to the shards and format); fixed from here on
        if ctx.is_main:
            save_config(cfg, s.run_dir / "config.json")
        max_steps = cfg.optim.max_steps
        stop = min(max_steps, cfg.run.stop_at) if cfg.run.stop_at > 0 else max_steps
        result = TrainResult(run_dir=s.run_dir, step=s.step, config=cfg)
        log = _open_log(s, ctx, total=max_steps)
        prefetch = Prefetcher(s.train_set, s.sampler, ctx.rank, s.accum, start=s.step)
        bare(s.model).train()
        try:
            with StopSignal() as signal_stop:  # SIGUSR1/SIGTERM: checkpoint at the current step and return
                while s.step < stop:
                    out = train_step(s, prefetch.get(s.step), ctx)  # this step's micro-batches of host ids
                    log.step(out.tokens)
                    if s.step % cfg.run.log_every == 0 or s.step == stop:
                        result.losses[s.step] = _log_train(s, out, log, ctx)
                    valid_loss, end = None, s.step == max_steps
                    if s.data.valid is not None and (s.step % cfg.run.eval_every == 0 or end):
                        with log.paused():  # evaluation and saving stay out of the throughput window
                            valid_loss, n = evaluate(
                                bare(s.model), s.data.valid, s.masker, cfg, ctx, s.micro, s.dtype
                            )
                        log.valid(s.step, valid_loss, n)
                        result.valid[s.step] = valid_loss
                    signalled = s.step < stop and signal_stop.requested(s.step, ctx, cfg.run.log_every)
                    if s.step % cfg.run.save_every == 0 or end or s.step == stop or signalled:
                        with log.paused():
                            s.tokens_seen = int(s.tokens_seen)
                            result.checkpoint = save_run(s, ctx, valid_loss)
                    if signalled:
                        result.stopped_by = signal_stop.name
                        break
        finally:
            prefetch.close()
            log.close()
        result.step = s.step
        return result
    finally:
        teardown(ctx)


def train_step(s: RunState, host: list[tuple[np.ndarray, np.ndarray]], ctx: DistContext) -> StepOut:
    """One optimizer step over this rank's ``accum`` micro-batches ``host`` = [(block indices, ids), ...].
    Nothing here waits for the device (counts stay tensors) except fp16's GradScaler step."""
    micro_batches, tokens, seqs = _mask_micro_batches(s, host, ctx)
    # global normalisation: every masked token of the step (all micro-batches, all ranks) weighs the same
    per_mb = [mb.labels.ne(IGNORE).sum() for mb in micro_batches]
    dropped = sum((n - mb.capacity).clamp(min=0) for n, mb in zip(per_mb, micro_batches, strict=True))
    masked = torch.stack(per_mb).sum().double()
    if ctx.world > 1:  # host counts go over without a wait (pinned, non-blocking) and are summed on device
        local = to_device(np.array([tokens, seqs], dtype=np.float64), ctx.device)
        counts = all_reduce_sum(torch.cat([masked[None], local]), ctx)
        masked, tokens, seqs = counts[0], counts[1], counts[2]
    n_masked = masked.clamp(min=1)
    n_seqs = seqs.clamp(min=1) if isinstance(seqs, torch.Tensor) else max(seqs, 1)
    loss_sum = torch.zeros((), dtype=torch.float64, device=ctx.device)
    nsp_sum = torch.zeros((), dtype=torch.float64, device=ctx.device)
    for k, mb in enumerate(micro_batches):
        last = k == len(micro_batches) - 1
        with contextlib.nullcontext() if last or ctx.world == 1 else s.model.no_sync():
            kw = {"attn_mask": mb.attn, "labels": mb.labels, "capacity": mb.capacity, "packing": mb.packing}
            with autocast(ctx.device, s.dtype):
                if mb.nsp is None:
                    part = s.model(mb.inputs, **kw)
                else:  # +NSP formats: MLM mean over masked tokens + NSP mean over sequences (BERT)
                    part, nsp_part = s.model(mb.inputs, nsp_labels=mb.nsp, **kw)
            # DDP averages gradients over ranks; x world turns that into a sum over all masked tokens
            total = part * ctx.world / n_masked
            if mb.nsp is not None:
                total = total + nsp_part * ctx.world / n_seqs
                nsp_sum += nsp_part.detach().double()
            s.scaler.scale(total).backward()
        loss_sum += part.detach().double()
    s.scaler.unscale_(s.opt)
    clip = s.cfg.optim.clip if s.cfg.optim.clip > 0 else float("inf")
    grad_norm = torch.nn.utils.clip_grad_norm_(s.model.parameters(), clip)
    lr = s.sched.get_last_lr()[0]
    s.scaler.step(s.opt)
    s.scaler.update()
    s.opt.zero_grad(set_to_none=True)
    s.sched.step()
    s.step += 1
    s.tokens_seen += tokens  # a device tensor under DDP until the next log / save step reads it
    return StepOut(loss_sum, nsp_sum, n_masked, tokens, seqs, grad_norm, lr, dropped)


def _mask_micro_batches(
    s: RunState, host: list[tuple[np.ndarray, np.ndarray]], ctx: DistContext
) -> tuple[list[MicroBatch], int, int]:
    """This rank's micro-batches on the device, masked the format's way, with this rank's real-token and
    sequence counts (from the host ids). Micro-step ``k`` of rank ``r`` is chunk ``k * world + r``."""
    fmt, pad = s.data.fmt, s.data.specials.pad
    jagged = resolve_attention(s.cfg.run.attention, ctx.device) == "jagged"
    exact = ctx.device.type == "cpu" and not s.cfg.run.compile  # static head shapes serve compile / CUDA
    out, tokens, seqs = [], 0, 0
    for k, (idx, ids_np) in enumerate(host):
        real = int(np.count_nonzero(ids_np != pad))
        tokens, seqs = tokens + real, seqs + len(idx)
        ids = to_device(ids_np, ctx.device)
        seed = mask_seed(s.cfg.run.seed, s.step, k * ctx.world + ctx.rank)
        inputs, labels = fmt.mask(s.train_set, s.masker, ids, idx, seed)
        nsp = fmt.nsp_targets(s.train_set, idx)
        nsp_t = None if nsp is None else to_device(np.ascontiguousarray(nsp), ctx.device)
        packing = pack_batch(ids_np, pad, ctx.device) if jagged else None
        attn = None if jagged else attention_mask(inputs, pad, padded=real < ids_np.size)
        cap = mlm_capacity(real if jagged else ids_np.size, s.cfg.data.mask_prob)
        if exact:  # CPU eager: reading the count costs no device wait, and the head skips the margin
            cap = max(int(labels.ne(IGNORE).sum()), 1)
        out.append(MicroBatch(inputs, labels, attn, packing, nsp_t, cap))
    return out, tokens, seqs


def _log_train(s: RunState, out: StepOut, log: TrainLog, ctx: DistContext) -> float:
    """Write the train record of the step just taken; return its loss (mean over the step's masked tokens).
    The one place a step's device values are read (log steps only)."""
    loss = float(all_reduce_sum(out.loss_sum, ctx) / out.n_masked)
    seqs = int(out.seqs)
    nsp = float(all_reduce_sum(out.nsp_sum, ctx) / max(seqs, 1)) if s.cfg.model.nsp else None
    s.tokens_seen = int(s.tokens_seen)
    dropped = int(all_reduce_sum(out.dropped.double(), ctx)) if torch.is_tensor(out.dropped) else 0
    log.train(
        s.step,
        loss,
        nsp_loss=nsp,
        lr=out.lr,
        grad_norm=float(out.grad_norm),
        seqs=seqs,
        tokens_seen=s.tokens_seen,
        epoch=s.sampler.epoch(s.step),
        **({"masked_over_capacity": dropped} if dropped else {}),
    )
    return loss


def _open_log(s: RunState, ctx: DistContext, *, total: int) -> TrainLog:
    cfg = s.cfg
    return TrainLog(
        s.run_dir / "metrics.jsonl",
        enabled=ctx.is_main,
        progress=cfg.run.progress,
        desc=f"train {cfg.preset}",
        initial=s.step,
        total=total,
        flops_per_token=flops_per_token(cfg.model, cfg.data.seq_len, cfg.data.mask_prob),
        peak=lookup_peak(torch.cuda.get_device_name(ctx.device), cfg.run.peak_tflops)[0]
        if ctx.device.type == "cuda"
        else None,
        world=ctx.world,
        six_n_per_token=six_n_flops_per_token(count_params(bare(s.model))),
        tensorboard=cfg.run.tensorboard,
    )
