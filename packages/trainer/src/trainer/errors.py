"""The trainer's own error type: a user mistake with a one-line message (the CLI prints ``error: ...``).

Usage: ``raise TrainerError(f"unknown preset {name!r}")``; ``except UserError`` catches it with every other
package's errors.
"""

from common import OverrideError, UserError


class TrainerError(UserError):
    """Bad input or state the user can fix: missing shards, bad flag, non-dividing batch, unknown preset."""


class TrainerOverrideError(TrainerError, OverrideError):
    """A bad ``--section.field=value`` override of a training config (both a trainer and an override error)."""
