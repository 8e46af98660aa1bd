"""The paper's pretraining variants as small hooks the training loop calls (paper §4.1-4.2, Tables 1-2).

Registers the extra input formats in ``trainer.data.FORMATS`` (``segment-pair`` and ``sentence-pair`` with
NSP, ``doc-sentences`` with dynamic batches) and gives the loop four decisions, each a no-op for the default
FULL-SENTENCES + dynamic masking run:

- ``wrap_train(cfg, ds)``: static masking's 10x duplicated view when ``data.static_dupes > 0``;
- ``make_sampler(...)``: the token-budget sampler for a dynamic-batch format, else the fixed one;
- ``mask_rows(...)``: per-row fixed masks for static masking, else the dynamic (seed, step, chunk) mask;
- ``nsp_targets(...)``: NSP labels of a micro-batch for a format with NSP, else None.

Usage: ``import trainer.variants`` (registers the formats); see ``trainer.loop`` for the call sites.
"""

from __future__ import annotations

import numpy as np
import torch

from trainer.data import FORMATS, Sampler
from trainer.formats_doc import DocSentences, TokenBudgetSampler, full_sentences_lengths
from trainer.formats_pair import SegmentPair, SentencePair, nsp_labels
from trainer.masking import Masker
from trainer.static_masking import StaticDuplicates

FORMATS.update({"segment-pair": SegmentPair, "sentence-pair": SentencePair, "doc-sentences": DocSentences})


def format_has_nsp(name: str) -> bool:
    """True for the +NSP formats (the model then gets an NSP head)."""
    return bool(getattr(FORMATS.get(name), "nsp", False))


def wrap_train(cfg, ds):
    """The training set as the loop should sample it: duplicated for static masking, else unchanged."""
    if cfg.data.static_dupes > 0:
        return StaticDuplicates(ds, dupes=cfg.data.static_dupes, seed=cfg.run.seed)
    return ds


def make_sampler(cfg, ds, *, micro: int, accum: int, world: int):
    """``TokenBudgetSampler`` for DOC-SENTENCES (tokens per step = batch size x mean FULL-SENTENCES block
    length on the same shards), else the fixed-size ``Sampler``."""
    base = getattr(ds, "base", ds)
    if getattr(base.fmt, "dynamic_batch", False):
        full_mean = float(full_sentences_lengths(base.shards, base.seq_len).mean())
        lengths = np.tile(base.fmt.lengths(base.spans), len(ds) // len(base))
        return TokenBudgetSampler(
            lengths,
            seed=cfg.run.seed,
            tokens_per_step=int(cfg.optim.batch_size * full_mean),
            accum=accum,
            world=world,
        )
    return Sampler(
        len(ds), seed=cfg.run.seed, batch_size=cfg.optim.batch_size, micro_batch=micro, world=world
    )


def mask_rows(ds, masker: Masker, ids: torch.Tensor, indices: np.ndarray, seed: int):
    """(inputs, labels): fixed per-row masks for a ``StaticDuplicates`` set, else one dynamic mask."""
    if isinstance(ds, StaticDuplicates):
        return ds.mask(ids, indices, masker)
    return masker(ids, seed=seed)


def nsp_targets(ds, indices: np.ndarray, device: torch.device) -> torch.Tensor | None:
    """NSP labels of the micro-batch on ``device``, or None when the format has no NSP."""
    y = nsp_labels(ds, indices)
    return None if y is None else torch.from_numpy(y).to(device)
