"""The corpus package's own error type: a user-facing problem the CLI prints as one ``error: ...`` line.

Usage: ``raise CorpusError(f"source folder not found: {path}")``
"""

from __future__ import annotations


class CorpusError(Exception):
    """A bad input or unreachable source; the CLI prints ``error: <message>`` and exits 2 (no traceback)."""
