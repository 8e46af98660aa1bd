"""Fetch one WARC record by byte range (HTTP ``Range`` or a local seek) and read its page.

CommonCrawl serves each crawl's WARC files over HTTPS; the CDX index gives a record's ``filename``,
``offset`` and ``length``, so one ranged GET (a few tens of KB) replaces downloading a 1 GB WARC file.
A source is an ``http(s)://`` prefix (``https://data.commoncrawl.org``) or a local folder in the same layout.
The record is then read by the same code as the CC-NEWS WARC reader (``corpus.steps.warc``), so skip
reasons (``redirect``, ``not_found``, ``non_html``...) mean the same in both builds.

Usage: ``data = read_range(FetchConfig(source="https://data.commoncrawl.org"), cap.filename, cap.offset, cap.length)``
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

COMMONCRAWL_DATA = "https://data.commoncrawl.org"


@dataclass(frozen=True, kw_only=True)
class FetchConfig:
    """Where WARC files live and how to fetch ranges of them."""

    source: str = COMMONCRAWL_DATA
    timeout_s: float = 60.0
    retries: int = 4
    backoff_s: float = 2.0
    max_record_bytes: int = 10 * 2**20  # a compressed page record is ~10-50 KB; 10 MB bounds a bad index row


class FetchError(RuntimeError):
    """The record could not be fetched (reason in ``self.reason``, counted as ``skip_<reason>``)."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason


def _get_range(cfg: FetchConfig, session: requests.Session, filename: str, offset: int, length: int) -> bytes:
    url = f"{cfg.source.rstrip('/')}/{filename.lstrip('/')}"
    headers = {"Range": f"bytes={offset}-{offset + length - 1}"}
    last = ""
    for attempt in range(cfg.retries + 1):
        if attempt:
            time.sleep(cfg.backoff_s * 2 ** (attempt - 1))
        try:
            resp = session.get(url, headers=headers, timeout=cfg.timeout_s)
        except requests.RequestException as e:
            last = type(e).__name__
            continue
        if resp.status_code >= 500 or resp.status_code == 429:
            last = f"HTTP {resp.status_code}"
            continue
        if resp.status_code == 200:
            # the server ignored Range: refuse rather than parse a whole WARC file as one record
            raise FetchError("range_unsupported", url)
        if resp.status_code != 206:
            raise FetchError("warc_http_error", f"HTTP {resp.status_code} for {url}")
        return resp.content
    raise FetchError("warc_unavailable", f"{url}: {last}")


def read_range(
    cfg: FetchConfig, filename: str, offset: int, length: int, session: requests.Session | None = None
) -> bytes:
    """The raw bytes (one gzip member) of one record, from an HTTP source or a local folder."""
    if length <= 0 or length > cfg.max_record_bytes or offset < 0:
        raise FetchError("bad_range", f"{filename} offset={offset} length={length}")
    if cfg.source.startswith(("http://", "https://")):
        return _get_range(cfg, session or requests.Session(), filename, offset, length)
    path = Path(cfg.source) / filename
    try:
        with open(path, "rb") as f:
            f.seek(offset)
            return f.read(length)
    except OSError as e:
        raise FetchError("warc_missing", f"{path}: {e.strerror}") from None


def read_page(data: bytes, max_html_bytes: int, on_skip: Callable[[str], None]) -> dict[str, Any] | None:
    """The page (html, url, date, id) of the first record in ``data``, or ``None`` (reason via ``on_skip``)."""
    from corpus.steps.warc import classify_record, iter_warc_records

    skipped: list[str] = []

    def skip(reason: str) -> None:
        skipped.append(reason)
        on_skip(reason)

    for record in iter_warc_records(io.BytesIO(data), on_skip=skip):
        try:
            reason, page = classify_record(record, max_html_bytes)
        except Exception:  # noqa: BLE001 - a malformed record (bad chunking, encoding) costs one URL
            reason, page = "corrupt_record", None
        if page is None:
            skip(str(reason))
        return page
    if not skipped:
        skip("no_record")  # the range held no WARC record at all (a stale index row)
    return None
