"""benchmarks: finetune and score RoBERTa checkpoints on GLUE, SQuAD and RACE with the paper's recipe."""

from benchmarks.errors import BenchError
from benchmarks.glue import run_glue
from benchmarks.metrics import glue_metrics
from benchmarks.recipe import Recipe, glue_recipe, quick, select_best
from benchmarks.results import BenchResult, ResultFormatError, read_result, write_result

__all__ = [
    "BenchError",
    "BenchResult",
    "Recipe",
    "ResultFormatError",
    "glue_metrics",
    "glue_recipe",
    "quick",
    "read_result",
    "run_glue",
    "select_best",
    "write_result",
]
