"""Benchmark-result contract (format ``roberta-bench-result`` v1): one JSON file per (task, checkpoint) run.

Fields: task, metric (the headline one), metrics (every official metric per seed), seeds, per_seed
(headline score per seed, in seed order), median (of per_seed), config (the resolved finetuning config),
checkpoint. ``bench report`` reads these back to build the table beside the paper's numbers.

Usage: ``write_result(out / "sst2.json", BenchResult(task="sst2", metric="acc", seeds=[1], per_seed=[0.9], ...))``
"""

from __future__ import annotations

import json
import os
import statistics
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from common import UserError, write_json_atomic

FORMAT_NAME = "roberta-bench-result"
FORMAT_VERSION = 1


class ResultFormatError(UserError, ValueError):
    """A result file does not follow the contract."""


@dataclass(frozen=True, kw_only=True)
class BenchResult:
    """Scores of one task for one checkpoint over several seeds; ``median`` is derived from ``per_seed``."""

    task: str
    metric: str
    seeds: list[int]
    per_seed: list[float]
    config: dict[str, Any]
    checkpoint: str
    metrics: list[dict[str, float]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if len(self.seeds) != len(self.per_seed) or not self.seeds:
            raise ResultFormatError(
                f"{self.task}: need one score per seed, got {len(self.per_seed)} for {len(self.seeds)} seeds"
            )

    @property
    def median(self) -> float:
        """Median over seeds, as the paper reports (Table 10 footnote: median of 5 runs)."""
        return float(statistics.median(self.per_seed))


def write_result(path: str | os.PathLike[str], result: BenchResult) -> Path:
    """Write ``result`` atomically as JSON with format name, version and the derived median."""
    payload = {"format": FORMAT_NAME, "version": FORMAT_VERSION, **asdict(result), "median": result.median}
    write_json_atomic(path, payload)
    return Path(path)


def read_result(path: str | os.PathLike[str]) -> BenchResult:
    """Read a result file back; raise ``ResultFormatError`` if it is not one, or its median is inconsistent."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        raise ResultFormatError(f"cannot read result {path}: {e}") from None
    if data.get("format") != FORMAT_NAME or data.get("version") != FORMAT_VERSION:
        raise ResultFormatError(f"{path}: expected {FORMAT_NAME} v{FORMAT_VERSION}")
    fields = {k: data[k] for k in ("task", "metric", "seeds", "per_seed", "config", "checkpoint", "metrics")}
    result = BenchResult(**fields)
    if abs(result.median - data["median"]) > 1e-12:
        raise ResultFormatError(
            f"{path}: stored median {data['median']} != median of per_seed {result.median}"
        )
    return result
