"""corpus: build CC-NEWS, OpenWebText and Stories from CommonCrawl into zstd JSONL shards."""

from corpus.fileio import atomic_path, write_json_atomic
from corpus.formats import (
    FORMAT_NAME,
    FORMAT_VERSION,
    REQUIRED_FIELDS,
    CorpusFormatError,
    list_shards,
    read_documents,
    read_shard,
    read_stats,
    validate_document,
    write_shard,
    write_stats,
)
from corpus.sample_data import require_sample_data, sample_data_dir

__all__ = [
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "REQUIRED_FIELDS",
    "CorpusFormatError",
    "atomic_path",
    "list_shards",
    "read_documents",
    "read_shard",
    "read_stats",
    "require_sample_data",
    "sample_data_dir",
    "validate_document",
    "write_json_atomic",
    "write_shard",
    "write_stats",
]
