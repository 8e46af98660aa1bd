"""Decontamination of the pretraining corpus against the evaluation sets found locally (issue 16).

Documents sharing at least one normalised 13-word n-gram with a GLUE dev/test, SQuAD dev, RACE dev/test or
WSC273 example are dropped (reason ``contaminated:<task>``) or, with ``mark_only``, kept with the matched task
and n-gram in their metadata; ``decontamination.json`` / ``.md`` report, per task, the evaluation examples hit
and the corpus documents hit. The index is cached by the evaluation files' checksums; runs resume.

Usage: ``report = decontaminate("build", ["glue", "squad/dev-v1.1.json.zip"], "clean")``;
``print(contamination_table(report))``
"""

from corpus.decontam.errors import DecontaminationError, EvalSetError
from corpus.decontam.evalsets import EvalSet, load_eval_sets
from corpus.decontam.index import BuiltIndex, ensure_index, index_key
from corpus.decontam.ngrams import DEFAULT_NGRAM, NgramIndex, ngram_hashes, normalise
from corpus.decontam.report import REPORT_JSON, REPORT_MD, build_report, contamination_table
from corpus.decontam.stage import (
    DecontaminationPlan,
    decontaminate,
    decontamination_stages,
    plan_decontamination,
)
from corpus.decontam.step import ContaminationFilter, ShardReader, ShardWriter

__all__ = [
    "DEFAULT_NGRAM",
    "REPORT_JSON",
    "REPORT_MD",
    "BuiltIndex",
    "ContaminationFilter",
    "DecontaminationError",
    "DecontaminationPlan",
    "EvalSet",
    "EvalSetError",
    "NgramIndex",
    "ShardReader",
    "ShardWriter",
    "build_report",
    "contamination_table",
    "decontaminate",
    "decontamination_stages",
    "ensure_index",
    "index_key",
    "load_eval_sets",
    "ngram_hashes",
    "normalise",
    "plan_decontamination",
]
