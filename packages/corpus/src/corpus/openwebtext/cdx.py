"""Look up a URL's capture in a CommonCrawl-style CDX index server (pywb's CDX API, as index.commoncrawl.org).

``GET {index_url}?url=U&output=json`` answers one JSON capture per line with ``filename``, ``offset`` and
``length`` of the WARC record. No capture (404 or an empty answer) returns ``None``; 5xx answers and dropped
connections are retried with exponential backoff, then raised as ``CdxUnavailable`` so the caller counts the
URL and moves on. Among captures the newest HTTP 200 HTML one wins (CommonCrawl re-crawls popular pages).

Usage: ``cap = CdxClient(CdxConfig(index_url="https://index.commoncrawl.org/CC-MAIN-2019-04-index")).lookup(u)``
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import requests

COMMONCRAWL_INDEX = "https://index.commoncrawl.org/CC-MAIN-2019-04-index"  # newest crawl inside OWT's window


@dataclass(frozen=True, kw_only=True)
class CdxConfig:
    """Where and how patiently to query the index."""

    index_url: str = COMMONCRAWL_INDEX
    # more crawls' endpoints, asked in order when ``index_url`` has no capture (Reddit links span years)
    fallback_index_urls: tuple[str, ...] = ()
    timeout_s: float = 30.0
    retries: int = 4  # CommonCrawl's index answers 503 under load; 4 retries ride out short bursts
    backoff_s: float = 2.0  # first retry waits this, doubling after
    limit: int = 20  # captures asked for per URL


@dataclass(frozen=True, kw_only=True)
class Capture:
    """One WARC record located by the index."""

    url: str
    timestamp: str  # YYYYMMDDhhmmss
    filename: str  # path relative to the WARC source (e.g. crawl-data/CC-MAIN-.../x.warc.gz)
    offset: int
    length: int
    status: str = ""
    mime: str = ""


class CdxUnavailable(RuntimeError):
    """The index kept failing (5xx or connection errors) for one URL after every retry."""


def _to_capture(row: dict[str, Any]) -> Capture | None:
    try:
        return Capture(
            url=row["url"], timestamp=str(row["timestamp"]), filename=row["filename"],
            offset=int(row["offset"]), length=int(row["length"]),
            status=str(row.get("status", "")), mime=str(row.get("mime", row.get("mime-detected", ""))),
        )  # fmt: skip
    except (KeyError, ValueError, TypeError):
        return None


def best_capture(rows: list[dict[str, Any]]) -> Capture | None:
    """Newest capture with HTTP status 200 and an HTML mime type (``None`` if there is none)."""
    caps = [c for c in map(_to_capture, rows) if c is not None]
    good = [c for c in caps if c.status == "200" and "html" in c.mime.lower()]
    return max(good, key=lambda c: c.timestamp) if good else None


class CdxClient:
    """A requests session against CDX endpoints (one per crawl)."""

    def __init__(self, config: CdxConfig, session: requests.Session | None = None) -> None:
        self.config = config
        self.session = session or requests.Session()

    def query(self, url: str, index_url: str | None = None) -> list[dict[str, Any]]:
        """All captures one index (default ``config.index_url``) lists for ``url`` (``[]`` when none)."""
        index_url = index_url or self.config.index_url
        params = {"url": url, "output": "json", "limit": str(self.config.limit)}
        last = ""
        for attempt in range(self.config.retries + 1):
            if attempt:
                time.sleep(self.config.backoff_s * 2 ** (attempt - 1))
            try:
                resp = self.session.get(index_url, params=params, timeout=self.config.timeout_s)
            except requests.RequestException as e:
                last = f"{type(e).__name__}"
                continue
            if resp.status_code >= 500 or resp.status_code == 429:
                last = f"HTTP {resp.status_code}"
                continue
            if resp.status_code == 404:
                return []
            resp.raise_for_status()
            return [json.loads(ln) for ln in resp.text.splitlines() if ln.strip().startswith("{")]
        raise CdxUnavailable(f"index {index_url} failed for {url}: {last}")

    def lookup(self, url: str) -> Capture | None:
        """The capture to fetch for ``url`` from the first index that has one, or ``None`` if none has.

        Raises ``CdxUnavailable`` only when no index had a capture and at least one kept failing (its
        answer is unknown, so "no capture" would be a guess).
        """
        failure: CdxUnavailable | None = None
        for index_url in (self.config.index_url, *self.config.fallback_index_urls):
            try:
                cap = best_capture(self.query(url, index_url))
            except CdxUnavailable as e:
                failure = e
                continue
            if cap is not None:
                return cap
        if failure is not None:
            raise failure
        return None
