"""Read WARC files into datatrove Documents: one per HTTP 200 ``text/html`` response, every skip counted.

CommonCrawl stores each record as its own gzip member, so a corrupt or truncated member is isolated: the
reader decompresses member by member and, on a bad member, resynchronises at the next gzip header. One bad
member costs one record, never the file or the task. Skip reasons (``revisit``, ``redirect``, ``not_found``,
``http_error``, ``non_html``, ``not_a_response``, ``corrupt_member``, ``truncated_member``, ...) become
datatrove stats ``skip_<reason>``.

Usage: ``WarcRecordReader(source, ["crawl-data/CC-NEWS/2016/09/x.warc.gz"])`` as a pipeline's first step
"""

from __future__ import annotations

import codecs
import io
import re
import sys
import zlib
from collections.abc import Callable, Iterator, Sequence
from typing import IO, Any

from datatrove.data import Document, DocumentsPipeline
from datatrove.pipeline.base import PipelineStep

from corpus.errors import CorpusError
from corpus.sources import Source, resolve_source

GZIP_MAGIC = b"\x1f\x8b\x08"
_CHUNK = 1 << 20  # 1 MiB reads: CC records average ~50 KB compressed
_CHARSET_RE = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
HTML_TYPES = ("text/html", "application/xhtml+xml")


def iter_gzip_members(stream: IO[bytes]) -> Iterator[tuple[str, bytes]]:
    """Yield ``("ok", data)`` per gzip member, or ``("corrupt_member"|"truncated_member", b"")`` for bad ones."""
    buf = bytearray(stream.read(_CHUNK))
    while buf:
        start = buf.find(GZIP_MAGIC)
        if start < 0:  # garbage without any member header: drop it (keep 2 bytes of a split magic)
            yield "corrupt_member", b""
            buf = buf[-2:] + stream.read(_CHUNK) if len(buf) > 2 else bytearray(stream.read(_CHUNK))
            if len(buf) <= 2:
                return
            continue
        if start > 0:
            yield "corrupt_member", b""  # garbage between members
            del buf[:start]
        status, data, rest = _inflate_member(buf, stream)
        yield status, data
        if status == "corrupt_member":
            nxt = buf.find(GZIP_MAGIC, 1)
            buf = buf[nxt:] if nxt > 0 else bytearray(stream.read(_CHUNK))
        else:
            buf = rest


def _inflate_member(buf: bytearray, stream: IO[bytes]) -> tuple[str, bytes, bytearray]:
    """Inflate the member at the start of ``buf`` (reading more as needed); return status, data, leftover."""
    d = zlib.decompressobj(31)
    out: list[bytes] = []
    pending = bytes(buf)
    try:
        while True:
            out.append(d.decompress(pending))
            if d.eof:
                return "ok", b"".join(out), bytearray(d.unused_data)
            pending = stream.read(_CHUNK)
            if not pending:
                return "truncated_member", b"", bytearray()
            buf.extend(pending)  # keep the member's bytes so a later error can resync inside them
    except zlib.error:
        return "corrupt_member", b"", bytearray()


def iter_warc_records(stream: IO[bytes], on_skip: Callable[[str], None]) -> Iterator[Any]:
    """Yield warcio records of a (gzipped or plain) WARC stream; report each unreadable part via ``on_skip``."""
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    head = stream.read(2)
    if head != GZIP_MAGIC[:2]:  # a plain WARC: one stream, an error ends the file
        head += stream.read(3)
        if not head:
            return  # an empty file is an empty WARC
        if head != b"WARC/":  # neither gzip nor WARC: warcio would misread text lines as ARC records
            on_skip("corrupt_file")
            return
        try:
            yield from ArchiveIterator(_Prepend(head, stream))
        except (ArchiveLoadFailed, ValueError, EOFError, OSError):
            on_skip("corrupt_file")
        return
    for status, data in iter_gzip_members(_Prepend(head, stream)):
        if status != "ok":
            on_skip(status)
            continue
        try:
            yield from ArchiveIterator(io.BytesIO(data))
        except (ArchiveLoadFailed, ValueError, EOFError, OSError):
            on_skip("corrupt_record")


class _Prepend(io.RawIOBase):
    """A stream that first returns ``head`` then the rest of ``stream`` (to sniff bytes without seeking)."""

    def __init__(self, head: bytes, stream: IO[bytes]) -> None:
        self.head, self.stream = head, stream

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        if self.head:
            head, self.head = self.head, b""
            return head + (self.stream.read(n - len(head)) if n < 0 or n > len(head) else b"")
        return self.stream.read(n)

    def readinto(self, b: Any) -> int:
        data = self.read(len(b))
        b[: len(data)] = data
        return len(data)


def classify_record(record: Any, max_bytes: int) -> tuple[str | None, dict | None]:
    """Return ``(skip_reason, None)`` or ``(None, page)`` with page = html, url, date, id, truncated."""
    if record.rec_type == "revisit":
        return "revisit", None
    if record.rec_type != "response":
        return "not_a_response", None
    http = record.http_headers
    if http is None:
        return "no_http_headers", None
    status = http.get_statuscode() or ""
    if status.startswith("3"):
        return "redirect", None
    if status == "404":
        return "not_found", None
    if status != "200":
        return "http_error", None
    ctype = (http.get_header("Content-Type") or "").lower()
    payload = record.content_stream().read(max_bytes + 1)
    if not payload:
        return "empty_payload", None
    if not _is_html(ctype, payload):
        return "non_html", None
    truncated = len(payload) > max_bytes
    page = {
        "html": decode_html(payload[:max_bytes], ctype),
        "url": record.rec_headers.get_header("WARC-Target-URI") or "",
        "date": record.rec_headers.get_header("WARC-Date") or "",
        "id": (record.rec_headers.get_header("WARC-Record-ID") or "").strip("<>").removeprefix("urn:uuid:"),
        "truncated": truncated,
    }
    return None, page


def _is_html(ctype: str, payload: bytes) -> bool:
    if ctype:
        return ctype.split(";")[0].strip() in HTML_TYPES
    head = payload[:1024].lstrip().lower()  # no header: sniff like a browser would
    return head.startswith((b"<!doctype html", b"<html")) or b"<html" in head


def decode_html(payload: bytes, ctype: str = "") -> str:
    """Decode HTML bytes: declared charset (header, then ``<meta>``), else UTF-8, else cp1252 with replacement."""
    declared = []
    if "charset=" in ctype:
        declared.append(ctype.split("charset=")[1].split(";")[0].strip(" \"'"))
    m = _CHARSET_RE.search(payload[:4096])
    if m:
        declared.append(m.group(1).decode("ascii", "ignore"))
    for name in [*declared, "utf-8"]:
        try:
            codecs.lookup(name)
            return payload.decode(name)
        except (LookupError, UnicodeDecodeError):
            continue
    return payload.decode("cp1252", errors="replace")


class _CountingReader(io.RawIOBase):
    """Counts bytes read from the underlying file (for the ``bytes_in`` stat)."""

    def __init__(self, f: IO[bytes]) -> None:
        self.f, self.n = f, 0

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        data = self.f.read(n)
        self.n += len(data)
        return data


class WarcRecordReader(PipelineStep):
    """First pipeline step: stream this task's share of ``paths`` (``paths[rank::world_size]``) as Documents.

    Each Document's text is the page HTML; metadata holds ``url``, ``date`` (WARC-Date) and ``warc``.
    ``limit`` caps the pages emitted per task (-1: all). ``max_html_bytes`` bounds each page (longer pages
    are cut, counted as ``html_truncated``).
    """

    type = "📖 - READER"
    name = "🕷 WARC records"

    def __init__(
        self,
        source: Source | str,
        paths: Sequence[str],
        *,
        max_html_bytes: int = 2_000_000,
        limit: int = -1,
        progress: bool = False,
        default_metadata: dict | None = None,
    ) -> None:
        super().__init__()
        self.source = source if isinstance(source, Source) else resolve_source(source)
        self.paths = list(paths)
        self.max_html_bytes = max_html_bytes
        self.limit = limit
        self.progress = progress
        self.default_metadata = default_metadata or {}

    def run(self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        from tqdm import tqdm

        if data:
            yield from data
        emitted = 0
        mine = self.paths[rank::world_size]
        bar = tqdm(
            mine, desc=f"task {rank} WARC files", unit="file", disable=not self.progress, file=sys.__stderr__
        )
        for path in bar:
            for doc in self._read_file(path):
                yield doc
                emitted += 1
                if 0 <= self.limit <= emitted:
                    return

    def _read_file(self, path: str) -> Iterator[Document]:
        try:
            raw = self.source.open(path)
        except CorpusError:
            self.stat_update("skip_missing_file")
            return
        with raw:
            counter = _CountingReader(raw)
            for record in iter_warc_records(counter, on_skip=lambda r: self.stat_update(f"skip_{r}")):
                self.stat_update("records_read")
                try:
                    reason, page = classify_record(record, self.max_html_bytes)
                except Exception:  # noqa: BLE001 - a malformed record (bad chunking, encoding) costs one record
                    reason, page = "corrupt_record", None
                if page is None:
                    self.stat_update(f"skip_{reason}")
                    continue
                if page["truncated"]:
                    self.stat_update("html_truncated")
                self.stat_update("html_pages")
                meta = {**self.default_metadata, "url": page["url"], "date": page["date"], "warc": path}
                yield Document(text=page["html"], id=page["id"] or f"{path}#{counter.n}", metadata=meta)
            self.stat_update("bytes_in", value=counter.n, unit="file")
