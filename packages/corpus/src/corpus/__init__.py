"""corpus: build CC-NEWS, OpenWebText and Stories from CommonCrawl into zstd JSONL shards."""

from common import atomic_path, require_sample_data, sample_data_dir, write_json_atomic

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

# The build API pulls in datatrove/trafilatura; re-export it lazily so readers of shards stay light.
_LAZY = {
    "build_cc_news": "corpus.ccnews.build",
    "CCNewsConfig": "corpus.ccnews.build",
    "CorpusError": "corpus.errors",
    "ExecutorConfig": "corpus.executors",
    "FilterConfig": "corpus.steps.filters",
    "ExtractConfig": "corpus.steps.extract",
    "DedupConfig": "corpus.steps.dedup",
    "extract_article": "corpus.steps.extract",
    "resolve_source": "corpus.sources",
}


def __getattr__(name: str):  # PEP 562 lazy re-exports
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'corpus' has no attribute {name!r}")


__all__ = [
    "CCNewsConfig",
    "CorpusError",
    "DedupConfig",
    "ExecutorConfig",
    "ExtractConfig",
    "FilterConfig",
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "REQUIRED_FIELDS",
    "CorpusFormatError",
    "atomic_path",
    "build_cc_news",
    "extract_article",
    "list_shards",
    "read_documents",
    "read_shard",
    "read_stats",
    "require_sample_data",
    "resolve_source",
    "sample_data_dir",
    "validate_document",
    "write_json_atomic",
    "write_shard",
    "write_stats",
]
