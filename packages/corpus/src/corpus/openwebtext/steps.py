"""Datatrove steps of the OpenWebText fetch stage: read the mined URL list, look each URL up in the CDX
index, range-fetch its WARC record. After them the CC-NEWS steps (extract, filter, dedup, write) apply as is.

Each step counts every URL it drops by reason (``dropped_no_capture``, ``dropped_index_unavailable``,
``dropped_warc_unavailable``...) in datatrove's per-step stats, and moves on: one bad URL never fails a task.

Usage: ``[UrlListReader(urls_dir), CdxLookup(cdx_cfg), WarcRangeFetch(fetch_cfg), *extract_and_filter_steps]``
"""

from __future__ import annotations

import json
from pathlib import Path

import requests
from corpus.openwebtext.cdx import CdxClient, CdxConfig, CdxUnavailable
from corpus.openwebtext.fetch import FetchConfig, FetchError, fetch_record
from corpus.openwebtext.mine import list_url_files
from datatrove.data import Document, DocumentsPipeline
from datatrove.pipeline.base import PipelineStep


def decode_html(payload: bytes, content_type: str) -> str:
    """Decode an HTML payload with the charset its Content-Type names, else UTF-8 (bad bytes replaced)."""
    charset = "utf-8"
    for part in content_type.split(";"):
        key, _, value = part.strip().partition("=")
        if key.lower() == "charset" and value:
            charset = value.strip("\"' ")
    try:
        return payload.decode(charset, errors="replace")
    except LookupError:  # an unknown charset name in the header
        return payload.decode("utf-8", errors="replace")


class UrlListReader(PipelineStep):
    """Yield one Document per mined URL (``text`` = the URL); task ``rank`` reads files ``rank::world_size``."""

    name = "🔗 OWT url list"
    type = "📖 - READER"

    def __init__(self, urls_dir: str | Path, limit: int = -1) -> None:
        super().__init__()
        self.urls_dir = str(urls_dir)
        self.limit = limit

    def run(self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        n = 0
        for path in list_url_files(self.urls_dir)[rank::world_size]:
            with open(path, encoding="utf-8") as f:
                for line in f:
                    if 0 <= self.limit <= n:
                        return
                    row = json.loads(line)
                    self.stat_update("urls")
                    n += 1
                    yield Document(text=row["url"], id=f"reddit-{row.get('id')}", metadata={"reddit": row})


class CdxLookup(PipelineStep):
    """Attach the CDX capture (WARC filename, offset, length) to each URL document; drop URLs without one."""

    name = "🗂 CDX lookup"
    type = "🔻 - FILTER"

    def __init__(self, config: CdxConfig) -> None:
        super().__init__()
        self.config = config

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        client = CdxClient(self.config)
        for doc in data:
            self.stat_update("total")
            try:
                cap = client.lookup(doc.text)
            except CdxUnavailable:
                self.stat_update("dropped_index_unavailable")
                continue
            except (requests.RequestException, ValueError):
                self.stat_update("dropped_index_bad_answer")  # 4xx other than 404, or a non-JSON line
                continue
            if cap is None:
                self.stat_update("dropped_no_capture")
                continue
            doc.metadata["capture"] = {
                "filename": cap.filename, "offset": cap.offset, "length": cap.length, "timestamp": cap.timestamp,
            }  # fmt: skip
            self.stat_update("forwarded")
            yield doc


class WarcRangeFetch(PipelineStep):
    """Replace each captured URL document by its page: ``text`` = decoded HTML, ``id`` = WARC-Record-ID."""

    name = "📥 WARC range fetch"
    type = "📖 - READER"

    def __init__(self, config: FetchConfig) -> None:
        super().__init__()
        self.config = config

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        session = requests.Session()
        for doc in data:
            cap = doc.metadata["capture"]
            self.stat_update("total")
            try:
                rec = fetch_record(self.config, cap["filename"], cap["offset"], cap["length"], session)
            except FetchError as e:
                self.stat_update(f"dropped_{e.reason}")
                continue
            if rec.http_status != 200 or "html" not in rec.content_type.lower():
                self.stat_update("dropped_not_html_200")
                continue
            self.stat_update("forwarded")
            yield Document(
                text=decode_html(rec.payload, rec.content_type),
                id=rec.record_id or doc.id,
                metadata={
                    "url": rec.url or doc.text,
                    "date": rec.date,
                    "reddit": doc.metadata["reddit"],
                    "capture": cap,
                },
            )
