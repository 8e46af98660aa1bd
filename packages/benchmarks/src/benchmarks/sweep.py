"""The paper's finetuning recipe (Table 10) as configs, and its sweep -> seeds -> median selection.

GLUE: sweep batch {16, 32} x lr {1e-5, 2e-5, 3e-5}, 10 epochs, 6% linear warmup then linear decay to 0, weight
decay 0.1, best epoch on dev, 5 seeds; the hyper-parameters with the best median over seeds win (Appendix C), and
that median is the reported number. Adam betas/eps are the pretraining ones (Table 9: 0.9, 0.98, 1e-6).

Usage: ``select_best(cells)`` -> the winning ``(batch_size, lr)`` and its per-seed cells.
"""

from __future__ import annotations

import dataclasses
import statistics
import types
import typing
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from benchmarks.errors import BenchError

T = TypeVar("T")


@dataclass(frozen=True, kw_only=True)
class Recipe:
    """A finetuning sweep: every (batch_size, lr) pair is run for every seed; Table 10's GLUE column by default."""

    batch_sizes: tuple[int, ...] = (16, 32)
    lrs: tuple[float, ...] = (1e-5, 2e-5, 3e-5)
    seeds: tuple[int, ...] = (1, 2, 3, 4, 5)
    epochs: int = 10
    warmup_ratio: float = 0.06
    weight_decay: float = 0.1
    adam_betas: tuple[float, ...] = (0.9, 0.98)
    adam_eps: float = 1e-6
    max_seq_len: int = 512
    max_train_examples: int | None = None  # None = all; --quick caps it
    max_eval_examples: int | None = None
    eval_batch_size: int = 32
    device: str = "auto"  # auto = cuda when available


@dataclass(frozen=True, kw_only=True)
class SpanRecipe(Recipe):
    """SQuAD: Table 10's column (lr 1.5e-5, batch 48, wd 0.01, 2 epochs) plus BERT's window settings."""

    batch_sizes: tuple[int, ...] = (48,)
    lrs: tuple[float, ...] = (1.5e-5,)
    epochs: int = 2
    weight_decay: float = 0.01
    max_seq_len: int = 384
    doc_stride: int = 128  # tokens of overlap between consecutive windows of a long context
    max_query_len: int = 64
    max_answer_len: int = 30
    na_threshold: float = 0.5  # v2.0: predict a span only when P(answerable) >= this


@dataclass(frozen=True, kw_only=True)
class ChoiceRecipe(Recipe):
    """RACE: Table 10's column (lr 1e-5, batch 16, wd 0.1, 4 epochs); question+answer cut to 128 tokens."""

    batch_sizes: tuple[int, ...] = (16,)
    lrs: tuple[float, ...] = (1e-5,)
    epochs: int = 4
    max_seq_len: int = 512
    max_qa_len: int = 128
    eval_batch_size: int = 8


def glue_recipe() -> Recipe:
    """Table 10, GLUE column."""
    return Recipe()


def squad_recipe() -> SpanRecipe:
    """Table 10, SQuAD column."""
    return SpanRecipe()


def race_recipe() -> ChoiceRecipe:
    """Table 10, RACE column."""
    return ChoiceRecipe()


def quick(recipe: Recipe, *, train: int = 48, dev: int = 48) -> Recipe:
    """A smoke-run variant: one batch size, one lr, one seed, 2 epochs, a few examples, short sequences."""
    return dataclasses.replace(
        recipe,
        batch_sizes=recipe.batch_sizes[:1],
        lrs=recipe.lrs[-1:],
        seeds=recipe.seeds[:1],
        epochs=2,
        max_seq_len=min(recipe.max_seq_len, 128),
        max_train_examples=train,
        max_eval_examples=dev,
    )


def _convert(tp: Any, raw: str) -> Any:
    """Parse ``raw`` as the annotated field type (int, float, str, tuples as comma lists, optional 'none')."""
    origin = typing.get_origin(tp)
    if origin in (types.UnionType, typing.Union):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return None if raw.lower() == "none" else _convert(args[0], raw)
    if origin is tuple:
        (elem, *_) = typing.get_args(tp)
        return tuple(_convert(elem, x) for x in raw.split(",") if x)
    return tp(raw)


def apply_overrides(cfg: T, overrides: Sequence[str], section: str = "recipe") -> T:
    """Apply typed ``--recipe.field=value`` overrides; an unknown key or a bad value is a ``BenchError``."""
    hints = typing.get_type_hints(type(cfg))
    changes: dict[str, Any] = {}
    for item in overrides:
        key, sep, raw = item.removeprefix("--").partition("=")
        sec, _, name = key.partition(".")
        if sec != section or not sep or name not in hints:
            raise BenchError(
                f"unknown option {item!r}; known: " + ", ".join(f"--{section}.{k}=" for k in hints)
            )
        try:
            changes[name] = _convert(hints[name], raw)
        except (TypeError, ValueError):
            raise BenchError(f"bad value for --{section}.{name}: {raw!r} (expected {hints[name]})") from None
    return dataclasses.replace(cfg, **changes)


def cell_name(batch_size: int, lr: float, seed: int) -> str:
    """File stem of one (hyper-parameters, seed) cell, e.g. ``bs16_lr2e-05_seed1``."""
    return f"bs{batch_size}_lr{lr:g}_seed{seed}"


def sweep_cells(recipe: Recipe) -> list[tuple[int, float, int]]:
    """Every (batch_size, lr, seed) cell in run order: hyper-parameters outer, seeds inner."""
    return [(b, lr, s) for b in recipe.batch_sizes for lr in recipe.lrs for s in recipe.seeds]


def select_best(
    cells: Sequence[dict[str, Any]],
) -> tuple[tuple[int, float], list[dict[str, Any]], list[dict]]:
    """Pick the (batch_size, lr) with the best median ``score`` over seeds (ties: first in sweep order).

    ``cells`` are dicts with ``batch_size``, ``lr``, ``seed`` and ``score`` (the best-epoch dev score).
    Returns the winner, its cells sorted by seed, and every pair's median (for the result's config).
    """
    if not cells:
        raise BenchError("no finished cells to select from")
    groups: dict[tuple[int, float], list[dict[str, Any]]] = {}
    for c in cells:
        groups.setdefault((int(c["batch_size"]), float(c["lr"])), []).append(c)
    medians = [
        {"batch_size": b, "lr": lr, "median": statistics.median(c["score"] for c in g), "n": len(g)}
        for (b, lr), g in groups.items()
    ]
    best = max(range(len(medians)), key=lambda i: (medians[i]["median"], -i))
    key = (medians[best]["batch_size"], medians[best]["lr"])
    return key, sorted(groups[key], key=lambda c: c["seed"]), medians
