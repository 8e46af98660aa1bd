"""The finetuning loop shared by GLUE, SQuAD and RACE: AdamW, linear warmup then linear decay, best epoch on dev.

The model is any module whose forward(**batch) returns an object with ``.loss``; ``evaluate(model)`` returns the
dev metrics after each epoch and the epoch with the best ``headline`` is kept (the paper's early stopping).
Weight decay follows the pretraining rule (``trainer.param_groups``: no decay on 1-D parameters, i.e. biases
and LayerNorm weights, as in BERT/fairseq).

Usage: ``history = train(model, feats, evaluate, settings=TrainSettings(lr=2e-5, ...), headline="acc")``
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from tqdm.auto import tqdm

Feature = dict[str, Any]


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


def pick_device(name: str) -> str:
    """``auto`` -> ``cuda`` when available, else ``cpu``."""
    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return name


def _pad(seqs: list[Any], value: int) -> torch.Tensor:
    """Right-pad a list of id lists (or of lists of id lists, for multiple choice) into one tensor."""
    if seqs and isinstance(seqs[0][0], list):
        width = max(len(s) for group in seqs for s in group)
        return torch.tensor([[s + [value] * (width - len(s)) for s in group] for group in seqs])
    width = max(len(s) for s in seqs)
    return torch.tensor([s + [value] * (width - len(s)) for s in seqs])


def collate(items: Sequence[Feature], pad_id: int) -> dict[str, torch.Tensor]:
    """Stack features: ``input_ids`` padded with ``pad_id``, ``attention_mask`` with 0, the rest as tensors."""
    out: dict[str, torch.Tensor] = {}
    for key in items[0]:
        values = [it[key] for it in items]
        if key == "input_ids":
            out[key] = _pad(values, pad_id)
        elif key == "attention_mask":
            out[key] = _pad(values, 0)
        else:
            out[key] = torch.tensor(values)
    return out


def batches(
    feats: Sequence[Feature], batch_size: int, pad_id: int, *, generator: torch.Generator | None = None
) -> Iterator[dict[str, torch.Tensor]]:
    """Batches in a seeded random order (training) or in order (``generator=None``, evaluation)."""
    order = (
        torch.randperm(len(feats), generator=generator).tolist()
        if generator is not None
        else range(len(feats))
    )
    order = list(order)
    for i in range(0, len(order), batch_size):
        yield collate([feats[j] for j in order[i : i + batch_size]], pad_id)


def make_optimizer(model: torch.nn.Module, s: TrainSettings, total_steps: int):
    """AdamW over ``trainer.param_groups`` (no decay on biases/LayerNorm), and the linear warmup + linear
    decay schedule."""
    from trainer import param_groups
    from transformers import get_linear_schedule_with_warmup

    groups = param_groups(model, s.weight_decay)
    opt = torch.optim.AdamW(groups, lr=s.lr, betas=tuple(s.adam_betas), eps=s.adam_eps)
    warmup = math.floor(s.warmup_ratio * total_steps)
    return opt, get_linear_schedule_with_warmup(opt, warmup, total_steps)


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
) -> list[dict[str, float]]:
    """Finetune for ``settings.epochs`` epochs and return each epoch's dev metrics (``on_best`` on improvement)."""
    s = settings
    torch.manual_seed(s.seed)
    gen = torch.Generator().manual_seed(s.seed)
    model.to(s.device)
    steps_per_epoch = math.ceil(len(feats) / s.batch_size)
    opt, sched = make_optimizer(model, s, steps_per_epoch * s.epochs)
    history: list[dict[str, float]] = []
    best = -math.inf
    with tqdm(total=steps_per_epoch * s.epochs, desc=desc, unit="step", leave=False) as bar:
        for epoch in range(s.epochs):
            model.train()
            for batch in batches(feats, s.batch_size, pad_id, generator=gen):
                loss = model(**{k: v.to(s.device) for k, v in batch.items()}).loss
                loss.backward()
                opt.step()
                sched.step()
                opt.zero_grad(set_to_none=True)
                bar.update(1)
                bar.set_postfix(epoch=epoch + 1, loss=f"{loss.item():.4f}")
            model.eval()
            with torch.no_grad():
                metrics = {"epoch": float(epoch + 1), **evaluate(model)}
            history.append(metrics)
            if metrics[headline] > best:
                best = metrics[headline]
                if on_best is not None:
                    on_best(model)
    return history


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
) -> Callable[[int, float, int], dict[str, Any]]:
    """A ``run_cell(batch_size, lr, seed)`` that finetunes a fresh model and returns the cell's record.

    The record holds every epoch's metrics, the best epoch by ``select`` (a dev metric), its ``score`` and its
    ``metrics``; with ``save_root`` the best epoch's model (and tokenizer) is saved under the cell's name.
    """
    from benchmarks.sweep import cell_name

    def run_cell(batch_size: int, lr: float, seed: int) -> dict[str, Any]:
        name = cell_name(batch_size, lr, seed)
        torch.manual_seed(seed)  # the new head's initialisation depends on the seed
        model = make_model()
        save_to = save_root / name if save_root is not None else None

        def save(m: torch.nn.Module) -> None:
            m.save_pretrained(save_to)
            if tokenizer is not None:
                tokenizer.save_pretrained(save_to)

        history = train(
            model,
            feats,
            evaluate,
            settings=settings_for(recipe, batch_size, lr, seed, device),
            headline=select,
            pad_id=pad_id,
            desc=f"{desc} {name}",
            on_best=save if save_to else None,
        )
        best = best_epoch(history, select)
        return {
            "history": history,
            "best_epoch": int(best["epoch"]),
            "score": best[select],
            "metrics": {k: v for k, v in best.items() if k != "epoch"},
            "model": str(save_to) if save_to else None,
        }

    return run_cell
