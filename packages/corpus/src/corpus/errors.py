"""The corpus package's own error type: a user-facing problem the CLI prints as one ``error: ...`` line.

It derives from ``common.UserError``, so any command that runs corpus code (``corpus``, ``tok``...) reports it
the same way.

Usage: ``raise CorpusError(f"source folder not found: {path}")``
"""

from __future__ import annotations

from common import UserError


class CorpusError(UserError):
    """A bad input or unreachable source; the CLI prints ``error: <message>`` and exits 2 (no traceback)."""
