"""The decontamination settings a build records (``corpus build ... --decontaminate A,B --mark-only``).

Usage: ``CCNewsConfig(decontam=DecontamConfig(against=("../shared/data/glue",), mark_only=True))``
"""

from __future__ import annotations

from dataclasses import dataclass

from corpus.decontam.ngrams import DEFAULT_NGRAM
from corpus.errors import CorpusError


@dataclass(frozen=True, kw_only=True)
class DecontamConfig:
    """Evaluation files/folders to decontaminate against (none: no decontamination), and how."""

    against: tuple[str, ...] = ()
    mark_only: bool = False
    ngram: int = DEFAULT_NGRAM

    def __post_init__(self) -> None:
        if self.ngram < 1:
            raise CorpusError(f"--decontam.ngram must be >= 1, got {self.ngram}")
        if self.mark_only and not self.against:
            raise CorpusError("--mark-only needs --decontaminate GLUE_DIR,SQUAD_FILE,...")

    @property
    def enabled(self) -> bool:
        """Whether the build runs the decontamination stages."""
        return bool(self.against)


def parse_against(value: str | None) -> tuple[str, ...]:
    """``"glue,squad/dev-v1.1.json.zip"`` -> ``("glue", "squad/dev-v1.1.json.zip")``; an empty list is an error."""
    if value is None:
        return ()
    items = tuple(p.strip() for p in value.split(",") if p.strip())
    if not items:
        raise CorpusError("--decontaminate: give comma-separated evaluation files or folders")
    return items
