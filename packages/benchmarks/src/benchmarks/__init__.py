"""benchmarks: finetune and score RoBERTa checkpoints on GLUE, SQuAD and RACE with the paper's recipe.

Layout: ``finetune`` (the shared loop), ``sweep`` (Table 10 recipes, resumable sweep, median selection),
``results`` (the result-file contract), ``report`` (``bench report``), ``hf_checkpoint`` (any checkpoint as a
checked HF folder), ``tasks/`` (GLUE, SQuAD, RACE with their data and metrics), ``paper/`` (``bench paper``:
the paper's Tables 1-8 and their reruns), ``cli`` (``bench``), ``e2e`` (``roberta-e2e``).

``run_squad`` and ``run_race`` are re-exported lazily so importing the package stays free of torch
(``benchmarks.report.report`` builds the table and chart).

Usage: ``from benchmarks import run_glue, run_squad, run_race``
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from benchmarks.errors import BenchError
from benchmarks.results import BenchResult, ResultFormatError, read_result, write_result
from benchmarks.sweep import Recipe, glue_recipe, quick, race_recipe, select_best, squad_recipe
from benchmarks.tasks.glue import run_glue
from benchmarks.tasks.glue_metrics import glue_metrics

_LAZY = {"run_squad": "tasks.squad", "run_race": "tasks.race"}

__all__ = [
    "BenchError",
    "BenchResult",
    "Recipe",
    "ResultFormatError",
    "glue_metrics",
    "glue_recipe",
    "quick",
    "race_recipe",
    "read_result",
    "run_glue",
    "run_race",
    "run_squad",
    "select_best",
    "squad_recipe",
    "write_result",
]

if TYPE_CHECKING:
    from benchmarks.tasks.race import run_race
    from benchmarks.tasks.squad import run_squad


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f"benchmarks.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'benchmarks' has no attribute {name!r}")
