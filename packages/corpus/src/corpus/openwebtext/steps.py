"""Datatrove steps of the OpenWebText document stage: read the mined URL list, look each URL up in the
CDX index, range-fetch its WARC record. After them the CC-NEWS steps (extract, filter, dedup, write) apply.

Each step counts every URL it skips by reason (``skip_no_capture``, ``skip_index_unavailable``,
``skip_warc_unavailable``, ``skip_redirect``...) in datatrove's per-step stats, and moves on: one bad URL
never fails a task.

Usage: ``[UrlListReader(urls_dir), CdxLookup(cdx_cfg), WarcRangeFetch(fetch_cfg), *document_steps(...)]``
"""

from __future__ import annotations

import json
from pathlib import Path

import requests
from datatrove.data import Document, DocumentsPipeline
from datatrove.pipeline.base import PipelineStep

from corpus.openwebtext.cdx import CdxClient, CdxConfig, CdxUnavailable
from corpus.openwebtext.fetch import FetchConfig, FetchError, read_page, read_range
from corpus.openwebtext.mine import list_url_files


class UrlListReader(PipelineStep):
    """Yield one Document per mined URL (``text`` = the URL); task ``rank`` reads files ``rank::world_size``."""

    name = "🔗 OWT url list"
    type = "📖 - READER"

    def __init__(self, urls_dir: str | Path, limit: int = -1, progress: bool = False) -> None:
        super().__init__()
        self.urls_dir = str(urls_dir)
        self.limit = limit
        self.progress = progress

    def run(self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        from tqdm import tqdm

        if data:
            yield from data
        n = 0
        bar = tqdm(desc=f"task {rank} urls", unit=" url", disable=not self.progress)
        for path in list_url_files(self.urls_dir)[rank::world_size]:
            with open(path, encoding="utf-8") as f:
                for line in f:
                    if 0 <= self.limit <= n:
                        bar.close()
                        return
                    row = json.loads(line)
                    self.stat_update("urls")
                    n += 1
                    bar.update()
                    yield Document(text=row["url"], id=f"reddit-{row.get('id')}", metadata={"reddit": row})
        bar.close()


class CdxLookup(PipelineStep):
    """Attach the CDX capture (WARC filename, offset, length) to each URL document; skip URLs without one."""

    name = "🗂 CDX lookup"
    type = "🔻 - FILTER"

    def __init__(self, config: CdxConfig) -> None:
        super().__init__()
        self.config = config

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        client = CdxClient(self.config)
        for doc in data:
            try:
                cap = client.lookup(doc.text)
            except CdxUnavailable:
                self.stat_update("skip_index_unavailable")
                continue
            except (requests.RequestException, ValueError):
                self.stat_update("skip_index_bad_answer")  # a 4xx other than 404, or a non-JSON line
                continue
            if cap is None:
                self.stat_update("skip_no_capture")
                continue
            doc.metadata["capture"] = {
                "filename": cap.filename,
                "offset": cap.offset,
                "length": cap.length,
                "timestamp": cap.timestamp,
            }
            self.stat_update("captures")
            yield doc


class WarcRangeFetch(PipelineStep):
    """Replace each captured URL document by its page: ``text`` = decoded HTML, ``id`` = WARC-Record-ID."""

    name = "📥 WARC range fetch"
    type = "📖 - READER"

    def __init__(self, config: FetchConfig, *, max_html_bytes: int = 2_000_000) -> None:
        super().__init__()
        self.config = config
        self.max_html_bytes = max_html_bytes

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        session = requests.Session()
        for doc in data:
            cap = doc.metadata["capture"]
            try:
                raw = read_range(self.config, cap["filename"], cap["offset"], cap["length"], session)
            except FetchError as e:
                self.stat_update(f"skip_{e.reason}")
                continue
            self.stat_update("bytes_in", value=len(raw), unit="record")
            self.stat_update("records_read")
            page = read_page(raw, self.max_html_bytes, on_skip=lambda r: self.stat_update(f"skip_{r}"))
            if page is None:
                continue
            if page["truncated"]:
                self.stat_update("html_truncated")
            self.stat_update("html_pages")
            reddit = doc.metadata["reddit"]
            meta = {"url": page["url"] or doc.text, "date": page["date"], "warc": cap["filename"]}
            meta["reddit"] = {k: reddit.get(k) for k in ("id", "score", "subreddit", "created_utc")}
            yield Document(text=page["html"], id=page["id"] or doc.id, metadata=meta)
