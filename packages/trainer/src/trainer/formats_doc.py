"""Transitional alias, to delete once ``benchmarks`` imports ``from trainer import matched_batch_size`` (its
relayout branch does): the old path of ``full_sentences_lengths`` / ``matched_batch_size``, now in
``trainer.formats``. Nothing in the trainer imports it.

Usage: ``from trainer import full_sentences_lengths, matched_batch_size`` (not this module)
"""

from trainer.formats import full_sentences_lengths, matched_batch_size

__all__ = ["full_sentences_lengths", "matched_batch_size"]
