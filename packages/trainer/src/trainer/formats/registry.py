"""``FORMATS``: every input format by its ``--data.format`` name, complete as soon as ``trainer.formats`` is
imported (no format registers itself by side effect elsewhere), and ``make_format`` to build one.

Usage: ``fmt = make_format("sentence-pair", 512, specials)``; ``sorted(FORMATS)``
"""

from __future__ import annotations

from trainer.data.blocks import Specials
from trainer.errors import TrainerError
from trainer.formats.base import InputFormat
from trainer.formats.doc import DocSentences
from trainer.formats.full import FullSentences
from trainer.formats.pair import SegmentPair, SentencePair

FORMATS: dict[str, type[InputFormat]] = {
    cls.name: cls for cls in (FullSentences, DocSentences, SegmentPair, SentencePair)
}


def make_format(name: str, seq_len: int, specials: Specials) -> InputFormat:
    """The format ``name`` for ``seq_len``-token blocks (static masking wraps one: ``StaticMasking``)."""
    if name not in FORMATS:
        raise TrainerError(f"unknown data.format {name!r} (choose from {', '.join(FORMATS)})")
    return FORMATS[name](seq_len, specials)
