"""The paper's input formats (§4.1-4.2) behind one ``InputFormat`` interface, all registered in ``FORMATS``.

- ``full``: FULL-SENTENCES (the default); ``doc``: DOC-SENTENCES with its token-budget batches and the
  token-matched batch size; ``pair``: SEGMENT-PAIR+NSP and SENTENCE-PAIR+NSP; ``static``: static masking
  over any of them; ``base``: the interface; ``registry``: ``FORMATS`` and ``make_format``.

Usage: ``from trainer.formats import FORMATS, make_format``
"""

from trainer.formats.base import InputFormat
from trainer.formats.doc import DocSentences, block_lengths, matched_batch_size
from trainer.formats.full import FullSentences, full_sentences_lengths
from trainer.formats.pair import SegmentPair, SentencePair, nsp_labels
from trainer.formats.registry import FORMATS, make_format
from trainer.formats.static import StaticDuplicates, StaticMasking

__all__ = [
    "FORMATS",
    "DocSentences",
    "FullSentences",
    "InputFormat",
    "SegmentPair",
    "SentencePair",
    "StaticDuplicates",
    "StaticMasking",
    "block_lengths",
    "full_sentences_lengths",
    "make_format",
    "matched_batch_size",
    "nsp_labels",
]
