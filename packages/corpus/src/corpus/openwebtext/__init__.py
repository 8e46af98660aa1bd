"""OpenWebText: Reddit-linked web pages (score >= 3), located through a CDX index and range-fetched from WARCs.

The public API is re-exported lazily (PEP 562), so ``corpus --help`` does not import requests or datatrove.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "Capture": "cdx",
    "CdxClient": "cdx",
    "CdxConfig": "cdx",
    "CdxUnavailable": "cdx",
    "FetchConfig": "fetch",
    "FetchError": "fetch",
    "read_page": "fetch",
    "read_range": "fetch",
    "list_url_files": "mine",
    "mine_urls": "mine",
    "SubmissionDumpError": "submissions",
    "expand_dumps": "submissions",
    "iter_dump": "submissions",
    "iter_submissions": "submissions",
    "UrlFilterConfig": "urls",
    "check_submission": "urls",
    "normalize_url": "corpus.urls",
    "url_key": "corpus.urls",
    "OpenWebTextConfig": "build",
    "build_openwebtext": "build",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'corpus.openwebtext' has no attribute {name!r}")
    module = _EXPORTS[name]
    return getattr(importlib.import_module(module if "." in module else f"corpus.openwebtext.{module}"), name)
