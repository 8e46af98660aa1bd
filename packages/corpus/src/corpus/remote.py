"""Read remote files (HTTP(S)) as a stream that survives dropped connections.

CommonCrawl serves multi-GB WARC files; a connection that drops at 80% must not restart the file. The reader
tracks its byte position and reopens with ``Range: bytes=<pos>-`` (or, when a server ignores ranges, re-reads
and discards the prefix), with exponential backoff, up to ``max_retries`` consecutive failures.

Usage: ``with open_http(url) as f: data = f.read()``
"""

from __future__ import annotations

import io
import time
from typing import Any

import requests

from corpus.errors import CorpusError

# Errors raised mid-stream by requests/urllib3 when a connection drops or stalls.
_STREAM_ERRORS: tuple[type[BaseException], ...] = (
    requests.exceptions.RequestException,
    ConnectionError,
    TimeoutError,
    OSError,
)
try:  # urllib3 raises its own types from resp.raw.read()
    import urllib3.exceptions as _u3

    _STREAM_ERRORS += (_u3.HTTPError,)
except ImportError:  # pragma: no cover - urllib3 always ships with requests
    pass


class ResumableHTTPReader(io.RawIOBase):
    """A raw, read-only stream over ``url`` that resumes at the current offset after a dropped connection."""

    def __init__(
        self,
        url: str,
        *,
        max_retries: int = 5,
        backoff_s: float = 0.25,
        timeout_s: float = 60.0,
        session: requests.Session | None = None,
    ) -> None:
        super().__init__()
        self.url = url
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        self.timeout_s = timeout_s
        self.session = session or requests.Session()
        self.pos = 0
        self.size: int | None = None
        self.resumes = 0  # how many times a dropped connection was resumed (for stats/tests)
        self._resp: Any = None
        self._open()

    def readable(self) -> bool:
        return True

    def _open(self) -> None:
        """(Re)open the connection at ``self.pos``, retrying transient failures with backoff."""
        failures = 0
        while True:
            try:
                self._resp = self._request()
                return
            except CorpusError:
                raise
            except _STREAM_ERRORS as e:
                failures += 1
                if failures > self.max_retries:
                    raise CorpusError(f"cannot read {self.url}: {type(e).__name__}: {e}") from None
                time.sleep(self.backoff_s * 2 ** (failures - 1))

    def _request(self) -> Any:
        headers = {"Range": f"bytes={self.pos}-"} if self.pos else {}
        resp = self.session.get(self.url, headers=headers, stream=True, timeout=self.timeout_s)
        if resp.status_code == 404:
            resp.close()
            raise CorpusError(f"not found: {self.url}")
        if resp.status_code >= 500:
            resp.close()
            raise requests.exceptions.HTTPError(f"HTTP {resp.status_code}")
        if resp.status_code not in (200, 206):
            resp.close()
            raise CorpusError(f"HTTP {resp.status_code} for {self.url}")
        if resp.status_code == 200:
            length = resp.headers.get("Content-Length")
            self.size = int(length) if length is not None else None
            if self.pos:  # server ignored Range: skip the bytes we already have
                _discard(resp.raw, self.pos)
        elif self.size is None:
            total = resp.headers.get("Content-Range", "").rpartition("/")[2]
            self.size = int(total) if total.isdigit() else None
        return resp

    def readinto(self, buffer: Any) -> int:
        failures = 0
        while True:
            try:
                n = self._resp.raw.readinto(buffer)
            except _STREAM_ERRORS:
                n = None
            if n:  # normal progress
                self.pos += n
                return n
            if n == 0 and (self.size is None or self.pos >= self.size):
                return 0  # a clean end of file
            # 0 bytes before the announced size, or an exception: the connection dropped; resume.
            failures += 1
            if failures > self.max_retries:
                raise CorpusError(f"connection to {self.url} kept dropping at byte {self.pos}")
            self._resp.close()
            time.sleep(self.backoff_s * 2 ** (failures - 1))
            self.resumes += 1
            self._open()

    def close(self) -> None:
        if self._resp is not None:
            self._resp.close()
        super().close()


def _discard(raw: Any, n: int) -> None:
    """Read and drop ``n`` bytes from ``raw`` (for servers that answer a Range request with the whole file)."""
    while n > 0:
        chunk = raw.read(min(n, 1 << 20))
        if not chunk:
            raise requests.exceptions.ConnectionError("connection dropped while skipping to resume offset")
        n -= len(chunk)


def open_http(url: str, *, buffer_size: int = 1 << 20, **kwargs: Any) -> io.BufferedReader:
    """Open ``url`` for buffered binary reading with retry/resume; raise ``CorpusError`` if unreachable."""
    return io.BufferedReader(ResumableHTTPReader(url, **kwargs), buffer_size=buffer_size)
