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
from trainer.masking import IGNORE, mask_seed
from trainer.metrics import TrainLog, peak_flops
from trainer.model import attention_mask, flops_per_token
from trainer.precision import autocast
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


@dataclass
class StepOut:
    """One optimizer step's sums over all micro-batches (loss sums local to this rank, counts global)."""

    loss_sum: torch.Tensor  # MLM cross-entropy summed over this rank's masked tokens
    nsp_sum: torch.Tensor  # NSP cross-entropy summed over this rank's sequences (0 without NSP)
    n_masked: torch.Tensor  # masked tokens of the step, all ranks
    tokens: int  # real (non-pad) tokens of the step, all ranks
    seqs: int  # sequences of the step, all ranks
    grad_norm: torch.Tensor  # a tensor: reading it would sync the device every step
    lr: float


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
            while s.step < stop:
                out = train_step(s, prefetch.get(s.step), ctx)  # this step's micro-batches of host ids
                log.step(out.tokens)
                if s.step % cfg.run.log_every == 0 or s.step == stop:
                    result.losses[s.step] = _log_train(s, out, log, ctx)
                valid_loss, end = None, s.step == max_steps
                if s.data.valid is not None and (s.step % cfg.run.eval_every == 0 or end):
                    valid_loss, n = evaluate(
                        bare(s.model), s.data.valid, s.masker, cfg, ctx, s.micro, s.dtype
                    )
                    log.valid(s.step, valid_loss, n)
                    result.valid[s.step] = valid_loss
                if s.step % cfg.run.save_every == 0 or end or s.step == stop:
                    result.checkpoint = save_run(s, ctx, valid_loss)
        finally:
            prefetch.close()
            log.close()
        result.step = s.step
        return result
    finally:
        teardown(ctx)


def train_step(s: RunState, host: list[tuple[np.ndarray, np.ndarray]], ctx: DistContext) -> StepOut:
    """One optimizer step over this rank's ``accum`` micro-batches ``host`` = [(block indices, ids), ...]."""
    micro_batches, tokens, seqs = _mask_micro_batches(s, host, ctx)
    # global normalisation: every masked token of the step (all micro-batches, all ranks) weighs the same
    masked = sum(labels.ne(IGNORE).sum() for _, labels, _, _ in micro_batches).double()
    local = [torch.tensor(float(n), dtype=torch.float64, device=ctx.device) for n in (tokens, seqs)]
    counts = all_reduce_sum(torch.stack([masked, *local]), ctx)
    n_masked, n_seqs = counts[0].clamp(min=1), counts[2].clamp(min=1)
    loss_sum = torch.zeros((), dtype=torch.float64, device=ctx.device)
    nsp_sum = torch.zeros((), dtype=torch.float64, device=ctx.device)
    for k, (inputs, labels, attn, nsp) in enumerate(micro_batches):
        last = k == len(micro_batches) - 1
        with contextlib.nullcontext() if last or ctx.world == 1 else s.model.no_sync():
            with autocast(ctx.device, s.dtype):
                if nsp is None:
                    part = s.model(inputs, attn_mask=attn, labels=labels)
                else:  # +NSP formats: MLM mean over masked tokens + NSP mean over sequences (BERT)
                    part, nsp_part = s.model(inputs, attn_mask=attn, labels=labels, nsp_labels=nsp)
            # DDP averages gradients over ranks; x world turns that into a sum over all masked tokens
            total = part * ctx.world / n_masked
            if nsp is not None:
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
    s.tokens_seen += int(counts[1])
    return StepOut(loss_sum, nsp_sum, n_masked, int(counts[1]), int(counts[2]), grad_norm, lr)


def _mask_micro_batches(
    s: RunState, host: list[tuple[np.ndarray, np.ndarray]], ctx: DistContext
) -> tuple[list[tuple], int, int]:
    """[(inputs, labels, attention mask, NSP labels or None)] on the device, the format's way, with this
    rank's real-token and sequence counts. Micro-step ``k`` of rank ``r`` is chunk ``k * world + r``."""
    fmt, pad = s.data.fmt, s.data.specials.pad
    out, tokens, seqs = [], 0, 0
    for k, (idx, ids_np) in enumerate(host):
        real = int(np.count_nonzero(ids_np != pad))
        tokens, seqs = tokens + real, seqs + len(idx)
        ids = to_device(ids_np, ctx.device)
        seed = mask_seed(s.cfg.run.seed, s.step, k * ctx.world + ctx.rank)
        inputs, labels = fmt.mask(s.train_set, s.masker, ids, idx, seed)
        nsp = fmt.nsp_targets(s.train_set, idx)
        nsp_t = None if nsp is None else torch.from_numpy(nsp).to(ctx.device)
        out.append((inputs, labels, attention_mask(inputs, pad, padded=real < ids_np.size), nsp_t))
    return out, tokens, seqs


def _log_train(s: RunState, out: StepOut, log: TrainLog, ctx: DistContext) -> float:
    """Write the train record of the step just taken; return its loss (mean over the step's masked tokens)."""
    loss = float(all_reduce_sum(out.loss_sum, ctx) / out.n_masked)
    nsp = float(all_reduce_sum(out.nsp_sum, ctx) / max(out.seqs, 1)) if s.cfg.model.nsp else None
    log.train(
        s.step,
        loss,
        nsp_loss=nsp,
        lr=out.lr,
        grad_norm=float(out.grad_norm),
        seqs=out.seqs,
        tokens_seen=s.tokens_seen,
        epoch=s.sampler.epoch(s.step),
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
        peak=peak_flops(torch.cuda.get_device_name(ctx.device)) if ctx.device.type == "cuda" else None,
    )
