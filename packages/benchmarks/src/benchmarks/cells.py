"""Resumable sweeps: each finished (task, hyper-parameters, seed) cell is one JSON file, skipped on re-runs.

Cells live in ``OUT/cells/{task}/{fingerprint}/{cell}.json``; the fingerprint hashes everything that changes a
cell's score except the cell's own coordinates (checkpoint, data, recipe settings, init-from), so changing e.g.
the epoch count never reuses stale cells, while adding seeds or lrs reuses the finished ones.

Usage: ``cells = run_sweep(out, "rte", recipe, {"checkpoint": ...}, run_cell)``; then ``write_sweep_result(...)``
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import statistics
from collections.abc import Callable
from pathlib import Path
from typing import Any

from common.fileio import write_json_atomic

from benchmarks.results import BenchResult, write_result


def fingerprint(settings: dict[str, Any]) -> str:
    """Short stable hash of a JSON-able settings dict."""
    blob = json.dumps(settings, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:12]


class CellStore:
    """Finished cells of one task under one fingerprint."""

    def __init__(self, out: Path, task: str, fp: str) -> None:
        self.dir = Path(out) / "cells" / task / fp

    def path(self, name: str) -> Path:
        return self.dir / f"{name}.json"

    def get(self, name: str) -> dict[str, Any] | None:
        """The finished cell's record, or None (a half-written file never exists: writes are atomic)."""
        p = self.path(name)
        return json.loads(p.read_text(encoding="utf-8")) if p.is_file() else None

    def put(self, name: str, record: dict[str, Any]) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        write_json_atomic(self.path(name), record)


def run_sweep(
    out: Path,
    task: str,
    recipe: Any,
    settings: dict[str, Any],
    run_cell: Callable[[int, float, int], dict[str, Any]],
) -> list[dict[str, Any]]:
    """Run every (batch size, lr, seed) cell of ``recipe`` not finished yet; return all cells' records.

    ``settings`` (with the recipe's non-sweep fields added) is fingerprinted to name the cell folder.
    """
    from tqdm.auto import tqdm

    from benchmarks.recipe import cell_name, sweep_cells

    fixed = {k: v for k, v in dataclasses.asdict(recipe).items() if k not in ("batch_sizes", "lrs", "seeds")}
    store = CellStore(out, task, fingerprint({"task": task, **settings, **fixed}))
    cells = []
    for b, lr, seed in tqdm(sweep_cells(recipe), desc=f"{task} sweep", unit="cell"):
        name = cell_name(b, lr, seed)
        record = store.get(name)
        if record is None:
            record = {"task": task, "batch_size": b, "lr": lr, "seed": seed, **run_cell(b, lr, seed)}
            store.put(name, record)
        cells.append(record)
    return cells


def write_sweep_result(
    out: Path, task: str, metric: str, cells: list[dict[str, Any]], recipe: Any, checkpoint: str, **extra: Any
) -> BenchResult:
    """Select the hyper-parameters by median ``score`` over seeds and write ``out/{task}.json``.

    Each cell record holds ``score`` (the dev number used for selection), ``metrics`` (the official metrics at
    the best epoch; ``metric`` among them is reported per seed) and ``best_epoch``.
    """
    from benchmarks.recipe import select_best

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
