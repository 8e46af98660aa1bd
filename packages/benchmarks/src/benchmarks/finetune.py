"""The finetuning loop shared by GLUE, SQuAD and RACE: AdamW, linear warmup then linear decay, best epoch on dev.

The model is any module whose forward(**batch) returns an object with ``.loss``; ``evaluate(model)`` returns the
dev metrics after each epoch and the epoch with the best ``headline`` is kept (the paper's early stopping).
Weight decay follows the pretraining rule (``trainer.param_groups``: no decay on 1-D parameters, i.e. biases
and LayerNorm weights, as in BERT/fairseq).

Each optimizer step takes ``batch_size`` examples, split into ``grad_accum`` micro-batches whose losses are
weighted by their share of the batch (so accumulation equals one large batch); batches are length-grouped and
padded to their longest (``benchmarks.batching``). On a GPU the forward runs under autocast (bf16, or fp16
with loss scaling where bf16 is missing); on CPU in fp32. Losses stay on the device and are read back only on
log steps and at the end of an epoch (no host sync per step). Gradient clipping is off by default, as in
fairseq's finetuning recipe. With ``state_dir`` the cell saves its state after every epoch and a re-run
resumes from the last finished epoch (``benchmarks.cellstate``).

Usage: ``done = train(model, feats, evaluate, settings=TrainSettings(lr=2e-5, ...), headline="acc", pad_id=1)``
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from tqdm.auto import tqdm

from benchmarks.batching import Feature, batch_order, batches, collate, micro_batches  # noqa: F401 (re-export)
from benchmarks.cellstate import Progress, load_state, save_state


@dataclass(frozen=True, kw_only=True)
class TrainSettings:
    """One cell's optimisation settings (a point of the recipe's sweep)."""

    lr: float
    batch_size: int
    epochs: int
    seed: int
    warmup_ratio: float = 0.06
    weight_decay: float = 0.1
    adam_betas: tuple[float, ...] = (0.9, 0.98)
    adam_eps: float = 1e-6
    device: str = "cpu"
    grad_accum: int = 1  # micro-batches per optimizer step (batch_size examples in all)
    max_grad_norm: float | None = None  # None: no clipping (fairseq's finetuning recipe)
    group_by_length: bool = True
    precision: str = "auto"  # auto: bf16 on a GPU that has it, else fp16 + loss scaling; fp32 on CPU
    log_every: int = 50  # steps between reads of the loss back to the host


def pick_device(name: str) -> str:
    """``auto`` -> ``cuda`` when available, else ``cpu``."""
    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return name


def amp_dtype(precision: str, device: str) -> torch.dtype | None:
    """The autocast dtype of a cell: ``auto`` is fp32 on CPU, bf16 on a GPU that has it, else fp16."""
    from benchmarks.errors import BenchError

    if precision == "auto":
        if not device.startswith("cuda"):
            return None
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    table = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}
    if precision not in table:
        raise BenchError(f"unknown --recipe.precision {precision!r} (auto, fp32, bf16, fp16)")
    return table[precision]


def make_optimizer(model: torch.nn.Module, s: TrainSettings, total_steps: int):
    """AdamW (fused where available) over ``trainer.param_groups`` (no decay on biases/LayerNorm), and the
    linear warmup + linear decay schedule."""
    from trainer import param_groups
    from transformers import get_linear_schedule_with_warmup

    groups = param_groups(model, s.weight_decay)
    kw = {"lr": s.lr, "betas": tuple(s.adam_betas), "eps": s.adam_eps}
    try:  # the fused kernel (CPU and CUDA): one pass over the weights instead of ~10 (8x faster on CPU)
        opt = torch.optim.AdamW(groups, fused=True, **kw)
    except (RuntimeError, TypeError):  # a device or dtype without it
        opt = torch.optim.AdamW(groups, **kw)
    warmup = math.floor(s.warmup_ratio * total_steps)
    return opt, get_linear_schedule_with_warmup(opt, warmup, total_steps)


@dataclass
class _Loop:
    """What one optimizer step needs besides the batch."""

    model: torch.nn.Module
    feats: Sequence[Feature]
    opt: Any
    sched: Any
    scaler: Any
    dtype: torch.dtype | None
    s: TrainSettings
    pad_id: int

    def step(self, idx: list[int]) -> torch.Tensor:
        """Forward/backward over the micro-batches of ``idx``, clip if asked, step; the loss stays on device."""
        from trainer.precision import autocast

        s, dev = self.s, torch.device(self.s.device)
        total = torch.zeros((), device=dev)
        for part in micro_batches(idx, s.grad_accum):
            batch = collate([self.feats[j] for j in part], self.pad_id)
            with autocast(dev, self.dtype):
                loss = self.model(**{k: v.to(dev, non_blocking=True) for k, v in batch.items()}).loss
            loss = loss.float() * (len(part) / len(idx))
            self.scaler.scale(loss).backward()
            total += loss.detach()
        if s.max_grad_norm is not None:
            self.scaler.unscale_(self.opt)
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), s.max_grad_norm)
        self.scaler.step(self.opt)
        self.scaler.update()
        self.sched.step()
        self.opt.zero_grad(set_to_none=True)
        return total

    def epoch(self, epoch: int, bar: Any) -> list[float]:
        """One epoch in the (seed, epoch)-determined order; the per-step losses, read back on log steps."""
        gen = torch.Generator().manual_seed(self.s.seed * 1_000_003 + epoch)
        order = batch_order(self.feats, self.s.batch_size, gen, group_by_length=self.s.group_by_length)
        self.model.train()
        pending: list[torch.Tensor] = []
        losses: list[float] = []
        for n, idx in enumerate(order, 1):
            pending.append(self.step(idx))
            bar.update(1)
            if n % self.s.log_every == 0 or n == len(order):
                losses += torch.stack(pending).tolist()  # the one host sync, on log steps only
                pending = []
                bar.set_postfix(epoch=epoch + 1, loss=f"{losses[-1]:.4f}")
        return losses


def train(
    model: torch.nn.Module,
    feats: Sequence[Feature],
    evaluate: Callable[[torch.nn.Module], dict[str, float]],
    *,
    settings: TrainSettings,
    headline: str,
    pad_id: int,
    desc: str = "finetune",
    on_best: Callable[[torch.nn.Module], None] | None = None,
    state_dir: Path | None = None,
    board: Any = None,
) -> Progress:
    """Finetune for ``settings.epochs`` epochs; return every epoch's dev metrics and every step's loss.

    ``on_best`` runs on each improvement of ``headline``; ``state_dir`` makes the cell resumable per epoch;
    ``board`` (a TensorBoard ``SummaryWriter``) gets the step losses and epoch metrics.
    """
    from trainer.precision import autocast, grad_scaler

    s = settings
    torch.manual_seed(s.seed)
    model.to(s.device)
    steps_per_epoch = math.ceil(len(feats) / s.batch_size)
    opt, sched = make_optimizer(model, s, steps_per_epoch * s.epochs)
    dtype = amp_dtype(s.precision, s.device)
    scaler = grad_scaler(torch.device(s.device), dtype)
    loop = _Loop(model, feats, opt, sched, scaler, dtype, s, pad_id)
    done = load_state(state_dir, model, opt, sched, scaler) if state_dir else None
    done = done or Progress()
    with tqdm(
        total=steps_per_epoch * s.epochs,
        initial=steps_per_epoch * done.epoch,
        desc=desc,
        unit="step",
        leave=False,
    ) as bar:
        for epoch in range(done.epoch, s.epochs):
            losses = loop.epoch(epoch, bar)
            model.eval()
            with torch.no_grad(), autocast(torch.device(s.device), dtype):
                metrics = {"epoch": float(epoch + 1), **evaluate(model)}
            metrics["train_loss"] = sum(losses) / len(losses)
            done.add(metrics, losses, board)
            if metrics[headline] > done.best:
                done.best = metrics[headline]
                if on_best is not None:
                    on_best(model)
            if state_dir is not None and epoch + 1 < s.epochs:
                save_state(state_dir, done, model, opt, sched, scaler)
    return done


def best_epoch(history: Sequence[dict[str, float]], headline: str) -> dict[str, float]:
    """The first epoch with the highest headline metric (early stopping on dev)."""
    return max(history, key=lambda m: (m[headline], -m["epoch"]))


def settings_for(recipe: Any, batch_size: int, lr: float, seed: int, device: str) -> TrainSettings:
    """One sweep cell's optimisation settings from a recipe (``benchmarks.sweep.Recipe``)."""
    return TrainSettings(
        lr=lr,
        batch_size=batch_size,
        epochs=recipe.epochs,
        seed=seed,
        device=device,
        warmup_ratio=recipe.warmup_ratio,
        weight_decay=recipe.weight_decay,
        adam_betas=recipe.adam_betas,
        adam_eps=recipe.adam_eps,
        grad_accum=recipe.grad_accum,
        max_grad_norm=recipe.max_grad_norm,
        group_by_length=recipe.group_by_length,
        precision=recipe.precision,
        log_every=recipe.log_every,
    )


def cell_runner(
    make_model: Callable[[], torch.nn.Module],
    feats: Sequence[Feature],
    evaluate: Callable[[torch.nn.Module], dict[str, float]],
    recipe: Any,
    *,
    select: str,
    device: str,
    pad_id: int,
    desc: str,
    save_root: Path | None = None,
    tokenizer: Any = None,
    tensorboard: Path | None = None,
) -> Callable[..., dict[str, Any]]:
    """A ``run_cell(batch_size, lr, seed, state_dir=None)`` that finetunes a fresh model (or resumes the one
    saved in ``state_dir``) and returns the cell's record.

    The record holds every epoch's metrics (dev loss and mean train loss included), every step's train loss,
    the best epoch by ``select`` (a dev metric), its ``score`` and its ``metrics``; with ``save_root`` the best
    epoch's model (and tokenizer) is saved under the cell's name; with ``tensorboard`` the cell writes event
    files to ``tensorboard/{desc}/{cell}``.
    """
    from benchmarks.sweep import cell_name
    from benchmarks.tensorboard import summary_writer

    def run_cell(batch_size: int, lr: float, seed: int, state_dir: Path | None = None) -> dict[str, Any]:
        name = cell_name(batch_size, lr, seed)
        torch.manual_seed(seed)  # the new head's initialisation depends on the seed
        model = make_model()
        save_to = save_root / name if save_root is not None else None

        def save(m: torch.nn.Module) -> None:
            m.save_pretrained(save_to)
            if tokenizer is not None:
                tokenizer.save_pretrained(save_to)

        with summary_writer(tensorboard / desc.replace(" ", "_") / name if tensorboard else None) as board:
            done = train(
                model,
                feats,
                evaluate,
                settings=settings_for(recipe, batch_size, lr, seed, device),
                headline=select,
                pad_id=pad_id,
                desc=f"{desc} {name}",
                on_best=save if save_to else None,
                state_dir=state_dir,
                board=board,
            )
        best = best_epoch(done.history, select)
        skip = ("epoch", "train_loss", "dev_loss")
        return {
            "history": done.history,
            "step_loss": done.step_loss,
            "best_epoch": int(best["epoch"]),
            "score": best[select],
            "metrics": {k: v for k, v in best.items() if k not in skip},
            "model": str(save_to) if save_to else None,
        }

    return run_cell
