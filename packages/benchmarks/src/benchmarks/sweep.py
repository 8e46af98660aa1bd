"""The paper's finetuning recipe (Table 10) as configs, and its resumable sweep -> seeds -> median selection.

GLUE: sweep batch {16, 32} x lr {1e-5, 2e-5, 3e-5}, 10 epochs, 6% linear warmup then linear decay to 0, weight
decay 0.1, best epoch on dev, 5 seeds; the hyper-parameters with the best median over seeds win (Appendix C), and
that median is the reported number. Adam betas/eps are the pretraining ones (Table 9: 0.9, 0.98, 1e-6).

Sweeps are resumable: each finished (task, hyper-parameters, seed) cell is one JSON file, skipped on re-runs.
Cells live in ``OUT/cells/{task}/{fingerprint}/{cell}.json``; the fingerprint hashes everything that changes a
cell's score except the cell's own coordinates (checkpoint, data, recipe settings, init-from), so changing e.g.
the epoch count never reuses stale cells, while adding seeds or lrs reuses the finished ones.

Usage: ``cells = run_sweep(out, "rte", recipe, {"checkpoint": ...}, run_cell)``; then ``write_sweep_result(...)``;
``select_best(cells)`` -> the winning ``(batch_size, lr)`` and its per-seed cells.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from common import OverrideError, apply_overrides, check_settings, json_sha256, write_json_atomic

from benchmarks.errors import BenchError
from benchmarks.results import BenchResult, write_result

R = TypeVar("R", bound="Recipe")
# sweep coordinates, and settings that do not change a cell's numbers
NOT_FINGERPRINTED = ("batch_sizes", "lrs", "seeds", "log_every")


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
    eval_batch_size: int = 128  # larger than training batches: no gradients to keep
    device: str = "auto"  # auto = cuda when available
    grad_accum: int = 1  # micro-batches per optimizer step (same batch, less memory)
    max_grad_norm: float | None = None  # None = no clipping (fairseq's finetuning recipe)
    group_by_length: bool = True  # length-grouped training batches (less padding), seeded
    precision: str = "auto"  # auto = bf16 on a GPU that has it, else fp16 + loss scaling; fp32 on CPU
    log_every: int = 50  # steps between reads of the train loss back to the host


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
    eval_batch_size: int = 32


# ``bench`` command -> its local entry point (``module:function``; ``benchmarks.cluster`` runs one cell a job)
RUNNERS = {
    "glue": "benchmarks.tasks.glue:run_glue",
    "squad": "benchmarks.tasks.squad:run_squad",
    "race": "benchmarks.tasks.race:run_race",
}


def runner(command: str) -> Callable[..., Any]:
    """The local entry point of ``bench {command}`` (imported on use: torch comes with it)."""
    import importlib

    module, name = RUNNERS[command].split(":")
    return getattr(importlib.import_module(module), name)


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


def override_recipe(recipe: R, items: Sequence[str]) -> R:
    """``recipe`` with typed ``--recipe.field=value`` overrides (``common.apply_overrides``); a ``BenchError``
    for an unknown field or a bad value."""
    try:
        return apply_overrides(recipe, items, prefix="recipe")
    except OverrideError as e:
        raise BenchError(str(e)) from None


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


def fingerprint(settings: dict[str, Any]) -> str:
    """Short stable hash of a JSON-able settings dict (12 hex digits of ``common.json_sha256``)."""
    return json_sha256(settings)[:12]


class CellStore:
    """Finished cells of one task under one fingerprint."""

    def __init__(self, out: Path, task: str, settings: dict[str, Any]) -> None:
        self.dir = Path(out) / "cells" / task / fingerprint(settings)
        self.settings = settings

    def path(self, name: str) -> Path:
        return self.dir / f"{name}.json"

    def partial(self, name: str) -> Path:
        """Folder of an unfinished cell's per-epoch state (``benchmarks.cellstate``)."""
        return self.dir / "partial" / name

    def get(self, name: str) -> dict[str, Any] | None:
        """The finished cell's record, or None (a half-written file never exists: writes are atomic)."""
        p = self.path(name)
        return json.loads(p.read_text(encoding="utf-8")) if p.is_file() else None

    def claim(self) -> None:
        """Record in ``settings.json`` which settings the folder's cells ran with; refuse (``BenchError``) a
        folder that recorded other ones (a fingerprint collision or a hand-copied folder) before reusing it."""
        self.dir.mkdir(parents=True, exist_ok=True)
        check_settings(
            self.dir / "settings.json", self.settings, what="cells", flag="--out", error=BenchError
        )

    def put(self, name: str, record: dict[str, Any]) -> None:
        write_json_atomic(self.path(name), record)


def run_sweep(
    out: Path,
    task: str,
    recipe: Any,
    settings: dict[str, Any],
    run_cell: Callable[[int, float, int], dict[str, Any]],
    *,
    only: tuple[int, float, int] | None = None,
) -> list[dict[str, Any]]:
    """Run every (batch size, lr, seed) cell of ``recipe`` not finished yet; return all cells' records.

    ``settings`` (with the recipe's non-sweep fields added) is fingerprinted to name the cell folder.
    ``only``: run (or find finished) just this cell (one cluster job of ``benchmarks.cluster``).
    """
    from tqdm.auto import tqdm

    fixed = {k: v for k, v in dataclasses.asdict(recipe).items() if k not in NOT_FINGERPRINTED}
    store = CellStore(out, task, {"task": task, **settings, **fixed})
    store.claim()
    cells = []
    todo = [only] if only is not None else sweep_cells(recipe)
    for b, lr, seed in tqdm(todo, desc=f"{task} sweep", unit="cell"):
        name = cell_name(b, lr, seed)
        record = store.get(name)
        if record is None:
            partial = store.partial(name)
            record = {"task": task, "batch_size": b, "lr": lr, "seed": seed}
            record.update(run_cell(b, lr, seed, state_dir=partial))
            store.put(name, record)
            shutil.rmtree(partial, ignore_errors=True)  # the finished record supersedes the epoch state
        cells.append(record)
    return cells


def write_sweep_result(
    out: Path, task: str, metric: str, cells: list[dict[str, Any]], recipe: Any, checkpoint: str, **extra: Any
) -> BenchResult:
    """Select the hyper-parameters by median ``score`` over seeds and write ``out/{task}.json``.

    Each cell record holds ``score`` (the dev number used for selection), ``metrics`` (the official metrics at
    the best epoch; ``metric`` among them is reported per seed) and ``best_epoch``.
    """
    (b, lr), chosen, medians = select_best(cells)
    scores = [float(c["score"]) for c in chosen]
    mid = statistics.median(scores)
    median_cell = min(chosen, key=lambda c: (abs(c["score"] - mid), c["seed"]))
    config = {
        **dataclasses.asdict(recipe),
        "chosen": {"batch_size": b, "lr": lr},
        "sweep_medians": medians,
        "best_epochs": [c.get("best_epoch") for c in chosen],
        "best_model": median_cell.get("model"),
        **extra,
    }
    result = BenchResult(
        task=task,
        metric=metric,
        seeds=[c["seed"] for c in chosen],
        per_seed=[float(c["metrics"][metric]) for c in chosen],
        metrics=[c["metrics"] for c in chosen],
        config=config,
        checkpoint=checkpoint,
    )
    write_result(Path(out) / f"{task}.json", result)
    return result
