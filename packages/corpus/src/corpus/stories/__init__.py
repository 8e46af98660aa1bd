"""Stories: CommonCrawl documents with the highest n-gram overlap with commonsense questions (Trinh & Le 2018).

The public API is re-exported lazily (PEP 562), so ``corpus --help`` does not import numpy or datatrove.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "QueryError": "queries",
    "load_queries": "queries",
    "load_wsc": "queries",
    "NgramOverlapScorer": "scoring",
    "words": "scoring",
    "SelectionPlan": "select",
    "plan_selection": "select",
    "save_plan": "select",
    "StoriesConfig": "build",
    "build_stories": "build",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'corpus.stories' has no attribute {name!r}")
    return getattr(importlib.import_module(f"corpus.stories.{_EXPORTS[name]}"), name)
