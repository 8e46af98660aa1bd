"""tokenizer: RoBERTa's 50K byte-level BPE and memory-mapped token shards.

Import as ``from tokenizer import Tokenizer, read_shards`` (not to be confused with the ``tokenizers`` dependency).
"""

from tokenizer.bpe import Tokenizer, TokenizerError
from tokenizer.shards import (
    FORMAT_NAME,
    FORMAT_VERSION,
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

# SHIM (benchmarks relayout): contract names not exported yet; dropped at merge.
from tokenizer.shards import MANIFEST, PARTS  # noqa: E402

_SHIM = {
    "EncodeConfig": ("tokenizer.job", "EncodeConfig"),
    "EncodeError": ("tokenizer.job", "EncodeError"),
    "run_encode": ("tokenizer.job", "run_encode"),
    "InputError": ("tokenizer.inputs", "InputError"),
    "TrainConfig": ("tokenizer.train", "TrainConfig"),
    "train_bpe": ("tokenizer.train", "train"),
}


def __getattr__(name):
    if name in _SHIM:
        import importlib

        module, attr = _SHIM[name]
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(f"module 'tokenizer' has no attribute {name!r}")


__all__ = [
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "ShardError",
    "TokenShard",
    "Tokenizer",
    "TokenizerError",
    "dtype_for_vocab",
    "open_shards",
    "read_manifest",
    "read_shards",
    "verify_shards",
    "write_manifest",
    "write_token_shard",
]
