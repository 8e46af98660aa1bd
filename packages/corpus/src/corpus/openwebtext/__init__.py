"""OpenWebText: Reddit-linked web pages (score >= 3), located through a CDX index and range-fetched from WARCs."""

from corpus.openwebtext.cdx import Capture, CdxClient, CdxConfig, CdxUnavailable
from corpus.openwebtext.fetch import FetchConfig, FetchedRecord, FetchError, fetch_record
from corpus.openwebtext.mine import list_url_files, mine_urls
from corpus.openwebtext.submissions import SubmissionDumpError, expand_dumps, iter_dump, iter_submissions
from corpus.openwebtext.urls import UrlFilterConfig, check_submission, normalize_url, url_key

__all__ = [
    "Capture",
    "CdxClient",
    "CdxConfig",
    "CdxUnavailable",
    "FetchConfig",
    "FetchError",
    "FetchedRecord",
    "SubmissionDumpError",
    "UrlFilterConfig",
    "check_submission",
    "expand_dumps",
    "fetch_record",
    "iter_dump",
    "iter_submissions",
    "list_url_files",
    "mine_urls",
    "normalize_url",
    "url_key",
]
