"""The trainer's own error type: a user mistake with a one-line message (the CLI prints ``error: ...``)."""


class TrainerError(Exception):
    """Bad input or state the user can fix: missing shards, bad flag, non-dividing batch, unknown preset."""
