"""The package's own error type: a user mistake the CLI prints as one ``error: ...`` line (exit 2)."""

from __future__ import annotations


class BenchError(Exception):
    """Bad input (missing data, a checkpoint that is not RoBERTa-shaped, a bad flag value...)."""
