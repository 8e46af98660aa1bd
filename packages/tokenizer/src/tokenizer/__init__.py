"""tokenizer: RoBERTa's 50K byte-level BPE, its training, and memory-mapped token shards.

Modules: ``bpe`` (``Tokenizer``), ``fast`` (tiktoken encoder), ``bytelevel`` (GPT-2's byte alphabet), ``gpt2``
(RoBERTa's folder from GPT-2's files), ``train_bpe`` (``tok train``), ``shards`` (the token-shard format),
``encode/`` (``tok encode``: sentences, work units, the resumable job), ``inputs`` (documents read by both),
``cli``/``commands``/``bench`` (the ``tok`` command). Not to be confused with the ``tokenizers`` dependency.

Usage: ``from tokenizer import Tokenizer, read_shards``; ``train_bpe(TrainConfig(inputs=..., output="tok/"))``
"""

# train_bpe is imported eagerly (tqdm and the corpus reader, ~0.1 s): the function shares its name with its
# module, and a lazy export would be shadowed by the submodule once anything imports ``tokenizer.train_bpe``.
from tokenizer.bpe import Tokenizer, TokenizerError
from tokenizer.inputs import InputError
from tokenizer.shards import (
    FORMAT_NAME,
    FORMAT_VERSION,
    MANIFEST,
    PARTS,
    ShardError,
    TokenShard,
    dtype_for_vocab,
    open_shards,
    read_manifest,
    read_shards,
    verify_shards,
    write_manifest,
    write_token_shard,
)
from tokenizer.train_bpe import TrainConfig, train_bpe

# The encode job pulls in multiprocessing and its workers' machinery: re-export it lazily.
_LAZY = {
    "EncodeConfig": "tokenizer.encode.job",
    "EncodeError": "tokenizer.encode.job",
    "run_encode": "tokenizer.encode.job",
}


def __getattr__(name: str):  # PEP 562 lazy re-exports
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'tokenizer' has no attribute {name!r}")


__all__ = [
    "EncodeConfig",
    "EncodeError",
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "InputError",
    "MANIFEST",
    "PARTS",
    "ShardError",
    "TokenShard",
    "Tokenizer",
    "TokenizerError",
    "TrainConfig",
    "dtype_for_vocab",
    "open_shards",
    "read_manifest",
    "read_shards",
    "run_encode",
    "train_bpe",
    "verify_shards",
    "write_manifest",
    "write_token_shard",
]
