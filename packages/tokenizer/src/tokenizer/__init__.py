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
