"""Fetch one WARC record by byte range (HTTP ``Range`` or a local seek) and parse it with warcio.

CommonCrawl serves each crawl's WARC files over HTTPS; the CDX index gives a record's ``filename``,
``offset`` and ``length``, so one ranged GET (a few tens of KB) replaces downloading a 1 GB WARC file.
A source is an ``http(s)://`` prefix (``https://data.commoncrawl.org``) or a local folder in the same layout.

Usage: ``rec = fetch_record(FetchConfig(source="https://data.commoncrawl.org"), cap.filename, cap.offset, cap.length)``
"""

from __future__ import annotations

import io
import time
from dataclasses import dataclass
from pathlib import Path

import requests
from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

COMMONCRAWL_DATA = "https://data.commoncrawl.org"


@dataclass(frozen=True, kw_only=True)
class FetchConfig:
    """Where WARC files live and how to fetch ranges of them."""

    source: str = COMMONCRAWL_DATA
    timeout_s: float = 60.0
    retries: int = 4
    backoff_s: float = 2.0
    max_record_bytes: int = 10 * 2**20  # a compressed page record is ~10-50 KB; 10 MB bounds a bad index row


@dataclass(frozen=True, kw_only=True)
class FetchedRecord:
    """The HTTP response stored in one WARC record."""

    url: str
    date: str  # WARC-Date, ISO 8601
    record_id: str
    http_status: int
    content_type: str
    payload: bytes


class FetchError(RuntimeError):
    """The record could not be fetched or parsed (reason in ``self.reason``)."""

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
    """The raw (gzip member) bytes of one record from an HTTP source or a local folder."""
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


def parse_record(data: bytes) -> FetchedRecord:
    """Parse the first WARC response record in ``data`` (its HTTP payload decoded from chunked/gzip)."""
    try:
        for rec in ArchiveIterator(io.BytesIO(data)):
            if rec.rec_type != "response" or rec.http_headers is None:
                raise FetchError("not_response", f"record type {rec.rec_type}")
            payload = rec.content_stream().read()
            return FetchedRecord(
                url=rec.rec_headers.get_header("WARC-Target-URI") or "",
                date=rec.rec_headers.get_header("WARC-Date") or "",
                record_id=rec.rec_headers.get_header("WARC-Record-ID") or "",
                http_status=int(rec.http_headers.get_statuscode() or 0),
                content_type=rec.http_headers.get_header("Content-Type") or "",
                payload=payload,
            )
    except (ArchiveLoadFailed, OSError, EOFError, ValueError) as e:
        raise FetchError("corrupt_record", str(e)[:200]) from None
    raise FetchError("corrupt_record", "no WARC record in range")


def fetch_record(
    cfg: FetchConfig, filename: str, offset: int, length: int, session: requests.Session | None = None
) -> FetchedRecord:
    """Range-fetch and parse one WARC record."""
    return parse_record(read_range(cfg, filename, offset, length, session))
