"""The package's own error type: a user mistake the CLI prints as one ``error: ...`` line (exit 2).

Usage: ``raise BenchError("checkpoint x does not exist")``
"""

from __future__ import annotations

from common import UserError


class BenchError(UserError):
    """Bad input (missing data, a checkpoint that is not RoBERTa-shaped, a bad flag value...)."""
