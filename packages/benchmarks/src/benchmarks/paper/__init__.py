"""``bench paper``: rerun the paper's comparisons (Tables 1-4, §4.4 encodings) at an affordable scale.

``spec`` holds every number of the paper's Tables 1-8 the package uses (rows, scales, published scores);
``run`` pretrains, scores and finetunes each row; ``data`` builds the rows' shards (Table 4 subsets, encodings);
``report`` writes the table (JSON, markdown, PNG); ``cli`` is the argparse part of ``bench paper``.
Names are re-exported lazily so ``bench --help`` does not import the trainer.

Usage: ``from benchmarks.paper import run_paper, TABLES, SCALES``
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "PAPER_SCORES": "spec",
    "SCALES": "spec",
    "TABLES": "spec",
    "Row": "spec",
    "Scale": "spec",
    "Table": "spec",
    "run_paper": "run",
    "build_encoding": "data",
    "subset_corpus": "data",
}
__all__ = [
    "PAPER_SCORES",
    "SCALES",
    "TABLES",
    "Row",
    "Scale",
    "Table",
    "build_encoding",
    "run_paper",
    "subset_corpus",
]

if TYPE_CHECKING:
    from benchmarks.paper.data import build_encoding, subset_corpus
    from benchmarks.paper.run import run_paper
    from benchmarks.paper.spec import PAPER_SCORES, SCALES, TABLES, Row, Scale, Table


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"benchmarks.paper.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'benchmarks.paper' has no attribute {name!r}")
