"""CC-NEWS: the paper's news corpus (Sept 2016 - Feb 2019) from CommonCrawl's CC-NEWS WARCs.

``build`` holds the builder and its config; ``cli`` the ``corpus build cc-news`` subcommand. The public API is
re-exported lazily (PEP 562), so ``corpus --help`` does not import datatrove.

Usage: ``from corpus.ccnews import CCNewsConfig, build_cc_news``
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "CCNewsConfig": "build",
    "build_cc_news": "build",
    "cc_news_stages": "build",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'corpus.ccnews' has no attribute {name!r}")
    return getattr(importlib.import_module(f"corpus.ccnews.{_EXPORTS[name]}"), name)
