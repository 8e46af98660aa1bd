"""Keep documents whose crawl date falls in a month window (CC-NEWS: Sept 2016 - Feb 2019 in the paper).

A listing month and a record's WARC-Date can disagree (files straddle month ends; re-crawls land later), so the
window is enforced per record, not only per listing.

Usage: ``DateWindowFilter(month_from="2016-09", month_to="2019-02")``
"""

from __future__ import annotations

import re

from datatrove.data import Document
from datatrove.pipeline.filters.base_filter import BaseFilter

from corpus.sources import parse_month

_DATE_RE = re.compile(r"^(\d{4})-(\d{2})")


class DateWindowFilter(BaseFilter):
    """Drop documents whose ``metadata[date_key]`` (ISO 8601) is outside ``month_from..month_to`` inclusive."""

    name = "📅 date window"

    def __init__(
        self, *, month_from: str, month_to: str, date_key: str = "date", exclusion_writer=None
    ) -> None:
        super().__init__(exclusion_writer)
        self.start, self.end = parse_month(month_from), parse_month(month_to)
        self.date_key = date_key

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        m = _DATE_RE.match(str(doc.metadata.get(self.date_key) or ""))
        if not m:
            return False, "no_date"
        if not self.start <= (int(m.group(1)), int(m.group(2))) <= self.end:
            return False, "out_of_window"
        return True
