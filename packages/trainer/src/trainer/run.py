"""A training run's state and its setup: everything ``trainer.loop`` carries from step to step, built once
(``build_run``), resumed exactly from the latest checkpoint, and saved as a native checkpoint (``save_run``).

Setup resolves the config once (the model fitted to the shards and the input format); nothing changes it
afterwards. The run holds one handle to the model, ``model``: DDP-wrapped under torchrun and compiled when
asked; ``bare(model)`` is the plain ``Roberta`` inside (for state dicts and evaluation).

Usage: ``s = build_run(cfg, ctx); ...; path = save_run(s, ctx, valid_loss)``
"""

from __future__ import annotations

import dataclasses
import random
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from trainer.checkpoint import (
    Checkpoint,
    DamagedCheckpoint,
    list_checkpoints,
    load_checkpoint,
    rng_state,
    save_checkpoint,
    set_rng_state,
)
from trainer.config import Config
from trainer.data import derive_batch
from trainer.data.checks import RunData, open_data
from trainer.distributed import DistContext, barrier, gather_objects
from trainer.errors import TrainerError
from trainer.masking import Masker, make_masker
from trainer.model import Roberta, fit_model_config
from trainer.optim import build_optimizer
from trainer.precision import amp_dtype, grad_scaler


@dataclass
class RunState:
    """Everything a run carries from step to step."""

    cfg: Config  # resolved once by build_run; never changed afterwards
    run_dir: Path
    data: RunData
    train_set: Any  # what the sampler indexes: the train blocks, or the format's duplicated view
    sampler: Any
    model: torch.nn.Module  # the one handle: Roberta, DDP-wrapped and/or compiled
    opt: torch.optim.Optimizer
    sched: torch.optim.lr_scheduler.LambdaLR
    scaler: torch.amp.GradScaler
    dtype: torch.dtype | None
    micro: int
    accum: int
    masker: Masker
    step: int = 0
    tokens_seen: int = 0


def bare(model: torch.nn.Module) -> Roberta:
    """The ``Roberta`` inside a compiled and/or DDP-wrapped model."""
    model = getattr(model, "_orig_mod", model)  # torch.compile
    return getattr(model, "module", model)  # DistributedDataParallel


def build_run(cfg: Config, ctx: DistContext) -> RunState:
    """Open and check the data, resolve the config, build model and optimizer, resume when asked."""
    if not cfg.run.out:
        raise TrainerError("no run folder given (--out RUNDIR)")
    if cfg.run.threads > 0:
        torch.set_num_threads(cfg.run.threads)
    run_dir = Path(cfg.run.out)
    if list_checkpoints(run_dir) and not cfg.run.resume:
        raise TrainerError(
            f"{run_dir} already has checkpoints: pass --resume to continue, or use a new --out"
        )
    data = open_data(cfg)
    vocab, sp = int(data.manifest["vocab_size"]), data.specials
    mcfg, init_state = fit_model_config(cfg, vocab=vocab, pad_id=sp.pad, nsp=data.fmt.nsp)
    cfg = dataclasses.replace(cfg, model=mcfg)
    micro, accum = derive_batch(cfg.optim.batch_size, cfg.optim.micro_batch, ctx.world)
    train_set = data.fmt.train_view(data.train)
    sampler = data.fmt.sampler(
        train_set,
        seed=cfg.run.seed,
        batch_size=cfg.optim.batch_size,
        micro_batch=micro,
        accum=accum,
        world=ctx.world,
    )
    torch.manual_seed(cfg.run.seed)  # python's and numpy's too: the checkpoints of one command are one
    random.seed(cfg.run.seed)  # run's bytes, whichever process writes them (their states are saved)
    np.random.seed(cfg.run.seed % 2**32)
    model = Roberta(mcfg)
    if init_state is not None:
        model.load_state_dict(init_state)
    model.to(ctx.device)
    opt, sched = build_optimizer(model, cfg.optim)
    dtype = amp_dtype(cfg.run.precision, ctx.device)
    s = RunState(
        cfg=cfg,
        run_dir=run_dir,
        data=data,
        train_set=train_set,
        sampler=sampler,
        model=model,
        opt=opt,
        sched=sched,
        scaler=grad_scaler(ctx.device, dtype),
        dtype=dtype,
        micro=micro,
        accum=accum,
        masker=make_masker(cfg.data, mcfg.vocab_size, tuple(sp.ids()), sp.mask),
    )
    _restore(s, ctx)
    s.model = _wrap(model, ctx, compile=cfg.run.compile)
    return s


def _wrap(model: torch.nn.Module, ctx: DistContext, *, compile: bool) -> torch.nn.Module:
    """DDP over the ranks (gradient sync), then ``torch.compile`` when asked."""
    if ctx.world > 1:
        from torch.nn.parallel import DistributedDataParallel as DDP

        model = DDP(model, device_ids=[ctx.device] if ctx.device.type == "cuda" else None)
    return torch.compile(model) if compile else model


def data_key(s: RunState) -> dict[str, Any]:
    """What fixes the data position: the same step means the same blocks only if these are unchanged."""
    return {
        "seed": s.cfg.run.seed,
        "batch_size": s.cfg.optim.batch_size,
        "micro_batch": s.micro,
        "seq_len": s.cfg.data.seq_len,
        "format": s.cfg.data.format,
        "blocks": len(s.train_set),
    }


def latest_whole(run_dir: Path, device: torch.device, trust: bool = False) -> Checkpoint | None:
    """The newest checkpoint of ``run_dir`` that reads back whole; each damaged newer one is one line.

    Never a silent start from step 0: checkpoints that are all damaged are an error.
    """
    found = list_checkpoints(run_dir)
    damaged = []
    for path in reversed(found):
        try:
            ckpt = load_checkpoint(path, map_location=device, trust=trust)
        except DamagedCheckpoint as e:
            damaged.append(str(e))
            print(f"warning: skipping damaged checkpoint: {e}", file=sys.stderr)
            continue
        return ckpt
    if damaged:
        raise TrainerError(f"no checkpoint in {run_dir} reads back whole ({len(damaged)} damaged)")
    return None


def _restore(s: RunState, ctx: DistContext) -> None:
    """Load the latest whole checkpoint of ``--out`` into ``s`` (with ``--resume``), refusing an inexact resume."""
    ckpt = latest_whole(s.run_dir, ctx.device, s.cfg.run.trust_checkpoint) if s.cfg.run.resume else None
    if ckpt is None:
        return
    rngs = ckpt.state["rng"]
    if len(rngs) != ctx.world:
        raise TrainerError(
            f"checkpoint {ckpt.path} was written by {len(rngs)} ranks; resume with the same "
            f"number (now {ctx.world})"
        )
    saved = {k: ckpt.state["data"].get(k) for k in data_key(s)}
    if saved != data_key(s):
        raise TrainerError(
            f"cannot resume {ckpt.path} exactly: data order settings changed "
            f"(checkpoint {saved}, now {data_key(s)})"
        )
    bare(s.model).load_state_dict(ckpt.state["model"])
    s.opt.load_state_dict(ckpt.state["optimizer"])
    s.sched.load_state_dict(ckpt.state["scheduler"])
    s.scaler.load_state_dict(ckpt.state["scaler"])
    set_rng_state(rngs[ctx.rank])
    s.step, s.tokens_seen = ckpt.step, int(ckpt.state["data"]["tokens_seen"])


def save_run(s: RunState, ctx: DistContext, valid_loss: float | None) -> Path | None:
    """Write the checkpoint of step ``s.step`` (rank 0; every rank contributes its RNG state)."""
    rngs = gather_objects(rng_state(), ctx)
    path = None
    if ctx.is_main:
        cfg = s.cfg
        state = {
            "model": bare(s.model).state_dict(),
            "optimizer": s.opt.state_dict(),
            "scheduler": s.sched.state_dict(),
            "scaler": s.scaler.state_dict(),
            "rng": rngs,
            "data": {"step": s.step, "tokens_seen": s.tokens_seen, "world": ctx.world, **data_key(s)},
        }
        meta = {
            "tokens_seen": s.tokens_seen,
            "model": dataclasses.asdict(cfg.model),
            "tokenizer_sha256": s.data.tokenizer_sha256,
            "tokenizer_dir": str(Path(cfg.data.tokenizer).resolve()) if cfg.data.tokenizer else None,
            "specials": dataclasses.asdict(s.data.specials),
            "world_size": ctx.world,
            "valid_loss": valid_loss,
            "preset": cfg.preset,
        }
        path = save_checkpoint(s.run_dir, s.step, state, meta, keep_last=cfg.run.keep_last)
    barrier(ctx)
    return path
