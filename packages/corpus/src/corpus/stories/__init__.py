"""Stories: CommonCrawl documents with the highest n-gram overlap with commonsense questions (Trinh & Le 2018)."""

from corpus.stories.queries import QueryError, load_queries, load_wsc
from corpus.stories.scoring import NgramOverlapScorer, words
from corpus.stories.select import SelectionPlan, plan_selection, write_selection

__all__ = [
    "NgramOverlapScorer",
    "QueryError",
    "SelectionPlan",
    "load_queries",
    "load_wsc",
    "plan_selection",
    "words",
    "write_selection",
]
