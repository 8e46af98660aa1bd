"""benchmarks: finetune and score RoBERTa checkpoints on GLUE, SQuAD and RACE with the paper's recipe."""

from benchmarks.results import BenchResult, ResultFormatError, read_result, write_result

__all__ = ["BenchResult", "ResultFormatError", "read_result", "write_result"]
