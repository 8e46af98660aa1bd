"""datatrove pipeline steps, one concern each, reusable by every corpus builder (CC-NEWS, OpenWebText, Stories).

Usage: ``from corpus.steps import WarcRecordReader, ArticleExtractor, EnglishFilter``
"""

from corpus.steps.dates import DateWindowFilter
from corpus.steps.dedup import (
    DedupConfig,
    RegexWordTokenizer,
    normalized_text_key,
    normalized_url_key,
)
from corpus.steps.extract import ArticleExtractor, ExtractConfig, extract_article
from corpus.steps.filters import (
    BoilerplateFilter,
    EnglishFilter,
    FilterConfig,
    LengthFilter,
    quality_filters,
)
from corpus.steps.io import CorpusShardWriter, RankJsonlReader, document_to_record
from corpus.steps.warc import WarcRecordReader, iter_warc_records

__all__ = [
    "ArticleExtractor",
    "BoilerplateFilter",
    "CorpusShardWriter",
    "DateWindowFilter",
    "DedupConfig",
    "EnglishFilter",
    "ExtractConfig",
    "FilterConfig",
    "LengthFilter",
    "RankJsonlReader",
    "RegexWordTokenizer",
    "WarcRecordReader",
    "document_to_record",
    "extract_article",
    "iter_warc_records",
    "normalized_text_key",
    "normalized_url_key",
    "quality_filters",
]
