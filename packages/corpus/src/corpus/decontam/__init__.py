"""Decontamination of the pretraining corpus against the evaluation sets found locally (issue 16).

Documents sharing at least one normalised 13-word n-gram with a GLUE dev/test, SQuAD dev, RACE dev/test or
WSC273 example are dropped (reason ``contaminated:<task>``) or, with ``mark_only``, kept with the matched task
and n-gram in their metadata; ``decontamination.json`` / ``.md`` report, per task, the evaluation examples hit
and the corpus documents hit. The index is cached by the evaluation files' checksums; runs resume.

Usage: ``report = decontaminate("build", ["glue", "squad/dev-v1.1.json.zip"], "clean")``;
``print(contamination_table(report))``
"""

# Re-exported lazily (PEP 562): the index and steps pull in numpy and datatrove, the CLI's --help must not.
_LAZY = {
    "DecontaminationError": "errors",
    "EvalSetError": "errors",
    "DecontamConfig": "config",
    "EvalSet": "evalsets",
    "load_eval_sets": "evalsets",
    "BuiltIndex": "index",
    "ensure_index": "index",
    "index_key": "index",
    "DEFAULT_NGRAM": "ngrams",
    "NgramIndex": "ngrams",
    "ngram_hashes": "ngrams",
    "normalise": "ngrams",
    "REPORT_JSON": "report",
    "REPORT_MD": "report",
    "build_report": "report",
    "contamination_table": "report",
    "DecontaminationPlan": "stage",
    "decontaminate": "stage",
    "decontamination_stages": "stage",
    "plan_decontamination": "stage",
    "ContaminationFilter": "step",
    "ShardReader": "step",
    "ShardWriter": "step",
    "with_decontamination": "build",
}


def __getattr__(name: str):  # noqa: ANN202 - PEP 562 lazy re-exports
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f"corpus.decontam.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'corpus.decontam' has no attribute {name!r}")


__all__ = [
    "DEFAULT_NGRAM",
    "DecontamConfig",
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
    "with_decontamination",
]
