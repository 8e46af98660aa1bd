"""The decontamination errors: one self-contained line each, printed by the CLI as ``error: ...``.

Usage: ``raise EvalSetError(f"{path}:{line}: expected 5 tab-separated fields, got 4")``
"""

from __future__ import annotations

from corpus.errors import CorpusError


class DecontaminationError(CorpusError):
    """Bad decontamination input or state (no evaluation files, a stale or unreadable index)."""


class EvalSetError(DecontaminationError):
    """An evaluation file that does not have its documented format (GLUE TSV, SQuAD JSON, RACE, WSC XML)."""
