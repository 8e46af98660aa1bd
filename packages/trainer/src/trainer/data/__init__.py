"""Token shards to training batches: blocks (``blocks``), the packers formats build them with (``packing``),
which blocks each rank reads per step (``samplers``), background host batches (``prefetch``) and the start-up
checks of a run's shards and tokenizer (``checks``). Input formats themselves live in ``trainer.formats``.

Usage: ``from trainer.data import BlockDataset, Sampler, derive_batch``
"""

from trainer.data.blocks import BlockDataset, Specials
from trainer.data.packing import pack_full_sentences, pack_within_docs, split_long
from trainer.data.prefetch import Prefetcher
from trainer.data.samplers import Sampler, TokenBudgetSampler, derive_batch

__all__ = [
    "BlockDataset",
    "Prefetcher",
    "Sampler",
    "Specials",
    "TokenBudgetSampler",
    "derive_batch",
    "pack_full_sentences",
    "pack_within_docs",
    "split_long",
]
