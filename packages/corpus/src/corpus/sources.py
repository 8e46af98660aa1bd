"""Where WARC files come from: CommonCrawl's HTTPS endpoint, ``s3://commoncrawl`` or a local mirror folder.

All three share CommonCrawl's layout, so one listing works for each: ``crawl-data/CC-NEWS/YYYY/MM/
warc.paths.gz`` lists the month's WARC files as paths relative to the source root. A ``Source`` is a small
picklable value (it travels to datatrove workers on Slurm/Ray), so it holds a location, not a connection.

Usage: ``src = resolve_source("../shared/data/cc_news_mirror"); paths = list_cc_news_warcs(src, "2016-09", "2019-02")``
"""

from __future__ import annotations

import gzip
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from corpus.errors import CorpusError

DEFAULT_SOURCE = "https://data.commoncrawl.org"
CC_NEWS_PREFIX = "crawl-data/CC-NEWS"
_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True, kw_only=True)
class Source:
    """A CommonCrawl-layout root: ``kind`` is ``local``, ``http`` or ``s3``; ``root`` has no trailing slash."""

    kind: str
    root: str

    def location(self, rel_path: str) -> str:
        """The full path/URL of ``rel_path`` under this root."""
        return f"{self.root}/{rel_path.lstrip('/')}"

    def open(self, rel_path: str) -> IO[bytes]:
        """Open ``rel_path`` for binary reading (remote reads retry and resume); ``CorpusError`` if missing."""
        loc = self.location(rel_path)
        if self.kind == "local":
            try:
                return open(loc, "rb")
            except FileNotFoundError:
                raise CorpusError(f"file not found: {loc}") from None
        if self.kind == "http":
            from corpus.remote import open_http

            return open_http(loc)
        return _open_s3(loc)

    def exists(self, rel_path: str) -> bool:
        """Whether ``rel_path`` exists (a listing probe: missing months are normal in a window)."""
        if self.kind == "local":
            return Path(self.location(rel_path)).is_file()
        try:
            with self.open(rel_path) as f:
                f.read(1)
            return True
        except CorpusError as e:
            if str(e).startswith("not found") or str(e).startswith("file not found"):
                return False
            raise


def _open_s3(url: str) -> IO[bytes]:
    try:
        import fsspec
        import s3fs  # noqa: F401 - imported to give a clear error when the extra is missing
    except ImportError:
        raise CorpusError(
            "s3:// sources need the 's3' extra: uv sync --extra s3 (or use the https endpoint)"
        ) from None
    try:
        return fsspec.open(url, "rb", anon=False).open()
    except FileNotFoundError:
        raise CorpusError(f"not found: {url}") from None
    except Exception as e:  # botocore errors are many types; the user needs one line
        raise CorpusError(f"cannot read {url}: {type(e).__name__}: {e}") from None


def resolve_source(spec: str | Path | None) -> Source:
    """Turn ``--source`` into a ``Source``: URL, ``s3://bucket`` or an existing local folder."""
    spec = str(spec) if spec is not None else DEFAULT_SOURCE
    if spec.startswith(("http://", "https://")):
        return Source(kind="http", root=spec.rstrip("/"))
    if spec.startswith("s3://"):
        return Source(kind="s3", root=spec.rstrip("/"))
    path = Path(spec).expanduser()
    if not path.is_dir():
        raise CorpusError(f"source folder not found: {spec}")
    return Source(kind="local", root=str(path.resolve()))


def parse_month(text: str) -> tuple[int, int]:
    """Parse ``YYYY-MM`` into ``(year, month)``; ``CorpusError`` on anything else."""
    m = _MONTH_RE.match(text or "")
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise CorpusError(f"bad month {text!r}: expected YYYY-MM")
    return int(m.group(1)), int(m.group(2))


def months_between(month_from: str, month_to: str) -> list[str]:
    """Every ``YYYY-MM`` from ``month_from`` to ``month_to`` inclusive."""
    (y, m), end = parse_month(month_from), parse_month(month_to)
    if (y, m) > end:
        raise CorpusError(f"--from {month_from} is after --to {month_to}")
    out = []
    while (y, m) <= end:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def read_paths_file(source: Source, rel_path: str) -> list[str]:
    """Read a (gzipped) ``*.paths.gz`` listing: one WARC path per line, relative to the source root."""
    with source.open(rel_path) as f:
        raw = f.read()
    try:
        text = gzip.decompress(raw).decode("utf-8") if raw[:2] == b"\x1f\x8b" else raw.decode("utf-8")
    except (OSError, EOFError, UnicodeDecodeError) as e:
        raise CorpusError(f"corrupt listing {source.location(rel_path)}: {e}") from None
    return [line.strip() for line in io.StringIO(text) if line.strip()]


def list_cc_news_warcs(source: Source, month_from: str, month_to: str) -> tuple[list[str], list[str]]:
    """List the CC-NEWS WARC paths of every month in the window; return ``(paths, months_missing)``.

    A month without ``warc.paths.gz`` is skipped (and reported); a window with none at all is an error.
    """
    paths: list[str] = []
    missing: list[str] = []
    for month in months_between(month_from, month_to):
        listing = f"{CC_NEWS_PREFIX}/{month[:4]}/{month[5:]}/warc.paths.gz"
        if not source.exists(listing):
            missing.append(month)
            continue
        paths.extend(read_paths_file(source, listing))
    if not paths:
        raise CorpusError(
            f"no CC-NEWS WARC listings (crawl-data/CC-NEWS/YYYY/MM/warc.paths.gz) for {month_from}..{month_to} "
            f"under {source.root}"
        )
    return paths, missing
