"""Source listing and remote reads: local mirror, HTTP over loopback (with a server that drops connections)."""

from __future__ import annotations

import functools
import http.server
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from corpus.errors import CorpusError
from corpus.remote import open_http
from corpus.sources import list_cc_news_warcs, months_between, resolve_source


class RangeHandler(http.server.SimpleHTTPRequestHandler):
    """Static files with ``Range: bytes=N-`` support; ``drop_first`` files are cut mid-body once each."""

    drop_first: set[str] = set()
    dropped: list[str] = []
    honour_range = True

    def log_message(self, *args: object) -> None:  # keep test output clean
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server API
        path = Path(self.translate_path(self.path))
        if not path.is_file():
            self.send_error(404)
            return
        data = path.read_bytes()
        start = 0
        rng = self.headers.get("Range")
        if rng and self.honour_range:
            start = int(rng.split("=")[1].split("-")[0])
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        body = data[start:]
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.path in self.drop_first and self.path not in self.dropped:
            self.dropped.append(self.path)
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)  # the connection drops midway
            return
        self.wfile.write(body)


def _serve(root: Path, handler: type) -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(handler, directory=str(root))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture()
def http_mirror(mirror: Path) -> Iterator[str]:
    RangeHandler.drop_first, RangeHandler.dropped = set(), []
    yield from _serve(mirror, RangeHandler)


def test_months_between() -> None:
    assert months_between("2016-11", "2017-02") == ["2016-11", "2016-12", "2017-01", "2017-02"]
    for bad in ("2016-13", "2016/09", "16-09", ""):
        with pytest.raises(CorpusError):
            months_between(bad, "2017-01")
    with pytest.raises(CorpusError, match="after"):
        months_between("2018-01", "2017-01")


def test_local_listing_reports_missing_months(mirror: Path) -> None:
    paths, missing = list_cc_news_warcs(resolve_source(mirror), "2016-08", "2016-10")
    assert missing == ["2016-10"]
    assert len(paths) == 4 and all(p.startswith("crawl-data/CC-NEWS/2016/0") for p in paths)
    assert all((mirror / p).is_file() for p in paths)


def test_missing_source_and_empty_window(tmp_path: Path, mirror: Path) -> None:
    with pytest.raises(CorpusError, match="source folder not found"):
        resolve_source(tmp_path / "nope")
    with pytest.raises(CorpusError, match="no CC-NEWS WARC listings"):
        list_cc_news_warcs(resolve_source(mirror), "2020-01", "2020-02")


def test_http_listing_and_read_equal_local(http_mirror: str, mirror: Path) -> None:
    src = resolve_source(http_mirror)
    assert src.kind == "http"
    local = list_cc_news_warcs(resolve_source(mirror), "2016-09", "2017-06")
    assert list_cc_news_warcs(src, "2016-09", "2017-06") == local
    with src.open(local[0][0]) as f:
        assert f.read() == (mirror / local[0][0]).read_bytes()


@pytest.mark.parametrize("honour_range", [True, False])
def test_http_resumes_after_dropped_connection(
    http_mirror: str, mirror: Path, mirror_warcs: list[str], honour_range: bool
) -> None:
    RangeHandler.honour_range = honour_range
    try:
        rel = mirror_warcs[1]
        RangeHandler.drop_first = {f"/{rel}"}
        with open_http(f"{http_mirror}/{rel}", backoff_s=0.01) as f:
            data = f.read()
            resumes = f.raw.resumes
        assert RangeHandler.dropped == [f"/{rel}"]
        assert resumes >= 1
        assert data == (mirror / rel).read_bytes()
    finally:
        RangeHandler.honour_range = True


def test_http_reader_step_over_dropping_server(
    http_mirror: str, mirror: Path, mirror_warcs: list[str]
) -> None:
    from corpus.steps.warc import WarcRecordReader

    RangeHandler.drop_first = {f"/{p}" for p in mirror_warcs[:2]}
    remote = [d.id for d in WarcRecordReader(http_mirror, mirror_warcs[:2]).run(None, 0, 1)]
    local = [d.id for d in WarcRecordReader(str(mirror), mirror_warcs[:2]).run(None, 0, 1)]
    assert len(RangeHandler.dropped) == 2 and remote == local and remote


def test_http_missing_and_unreachable(http_mirror: str) -> None:
    with pytest.raises(CorpusError, match="not found"):
        open_http(f"{http_mirror}/nope.warc.gz")
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(CorpusError, match="cannot read"):
        open_http(f"http://127.0.0.1:{port}/x", max_retries=2, backoff_s=0.01)


def test_s3_source_resolves_and_needs_its_extra() -> None:
    import importlib.util

    src = resolve_source("s3://commoncrawl")
    assert src.kind == "s3" and src.location("crawl-data/x") == "s3://commoncrawl/crawl-data/x"
    if importlib.util.find_spec("s3fs") is None:  # default install: a clear one-line error, no traceback
        with pytest.raises(CorpusError, match="'s3' extra"):
            src.open("crawl-data/CC-NEWS/2016/09/warc.paths.gz")
