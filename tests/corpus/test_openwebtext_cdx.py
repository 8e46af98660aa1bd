"""CDX lookup + WARC range fetch against real loopback servers (pywb CDX server, RangeHTTPServer)."""

from __future__ import annotations

import json

import pytest

pytest.importorskip(
    "pywb", reason="needs the test-servers extra: uv sync --all-packages --extra test-servers"
)
pytest.importorskip("RangeHTTPServer", reason="needs the test-servers extra")

from corpus.openwebtext.cdx import CdxClient, CdxConfig, CdxUnavailable  # noqa: E402
from corpus.openwebtext.fetch import FetchConfig, FetchError, read_page, read_range  # noqa: E402
from owt_loopback import MIRROR, build_index, failing_server, flaky_proxy, pywb_server, range_server  # noqa: E402


@pytest.fixture(scope="module")
def servers(sample_data, tmp_path_factory):
    """(cdx endpoint, warc base URL, index rows) over the CC-MAIN mirror."""
    root = tmp_path_factory.mktemp("pywb")
    mirror = sample_data / MIRROR
    index = build_index(mirror, root)
    rows = [json.loads(line.split(" ", 2)[2]) for line in index.read_text().splitlines()]
    with pywb_server(root) as cdx, range_server(mirror) as warcs:
        yield cdx, warcs, rows


def _html_row(rows):
    return next(
        r for r in rows if r["status"] == "200" and r["mime"] == "text/html" and "cricket" in r["url"]
    )


def test_lookup_finds_the_indexed_capture(servers):
    cdx, _, rows = servers
    row = _html_row(rows)
    cap = CdxClient(CdxConfig(index_url=cdx)).lookup(row["url"])
    assert cap is not None
    assert (cap.filename, cap.offset, cap.length) == (row["filename"], int(row["offset"]), int(row["length"]))


def test_lookup_without_capture_is_none(servers):
    cdx, _, _ = servers
    assert CdxClient(CdxConfig(index_url=cdx)).lookup("http://no-such-site.example.org/never-crawled") is None


def test_range_fetch_returns_exactly_the_record(servers, sample_data):
    cdx, warcs, rows = servers
    row = _html_row(rows)
    cap = CdxClient(CdxConfig(index_url=cdx)).lookup(row["url"])
    raw_http = read_range(FetchConfig(source=warcs), cap.filename, cap.offset, cap.length)
    skips = []
    page = read_page(raw_http, 2_000_000, on_skip=skips.append)
    assert skips == [] and page["url"] == row["url"]
    assert "<html" in page["html"].lower()
    # the same bytes as a local seek into the mirror: the server honoured the range
    raw_local = read_range(
        FetchConfig(source=str(sample_data / MIRROR)), cap.filename, cap.offset, cap.length
    )
    assert raw_http == raw_local and len(raw_http) == cap.length


def test_bad_ranges_are_counted_errors(servers):
    _, warcs, rows = servers
    row = _html_row(rows)
    # a stale index row: the range starts 7 bytes into the record, so no WARC record can be read
    raw = read_range(FetchConfig(source=warcs), row["filename"], int(row["offset"]) + 7, int(row["length"]))
    skips = []
    assert read_page(raw, 2_000_000, on_skip=skips.append) is None and skips
    with pytest.raises(FetchError) as err:
        read_range(FetchConfig(source=warcs, retries=0), "crawl-data/missing.warc.gz", 0, 100)
    assert err.value.reason == "warc_http_error"
    with pytest.raises(FetchError) as err:
        read_range(FetchConfig(source=warcs), row["filename"], 0, 0)
    assert err.value.reason == "bad_range"


def test_server_ignoring_range_is_refused(sample_data):
    import functools
    import http.server

    from owt_loopback import http_server

    plain = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(sample_data / MIRROR))
    with http_server(plain) as url:  # the stdlib server answers 200 with the whole file
        with pytest.raises(FetchError) as err:
            read_range(FetchConfig(source=url), "crawl-data/CC-MAIN-2018-05/warc.paths.gz", 0, 10)
    assert err.value.reason == "range_unsupported"


def test_index_5xx_is_retried_then_raised():
    handler, server = failing_server(503)
    with server as url:
        client = CdxClient(CdxConfig(index_url=url, retries=2, backoff_s=0.01))
        with pytest.raises(CdxUnavailable):
            client.lookup("http://example.com/")
    assert handler.hits == 3  # first try + 2 retries


def test_index_404_means_no_capture():
    """index.commoncrawl.org answers 404 (not an empty 200, as pywb does) when a URL has no capture."""
    handler, server = failing_server(404)
    with server as url:
        assert (
            CdxClient(CdxConfig(index_url=url, retries=3, backoff_s=0.01)).lookup("http://example.com/")
            is None
        )
    assert handler.hits == 1  # not retried


def test_index_5xx_then_recovery_succeeds(servers):
    cdx, _, rows = servers
    row = _html_row(rows)
    handler, server = flaky_proxy(cdx, fail_first=2)
    with server as url:
        cap = CdxClient(CdxConfig(index_url=url, retries=3, backoff_s=0.01)).lookup(row["url"])
    assert cap is not None and cap.offset == int(row["offset"])
    assert handler.hits == 3


def test_fallback_indexes_are_asked_in_order(servers):
    cdx, _, rows = servers
    row = _html_row(rows)
    handler, server = failing_server(404)  # a crawl that never saw the page
    with server as empty:
        cap = CdxClient(CdxConfig(index_url=empty, fallback_index_urls=(cdx,))).lookup(row["url"])
        assert cap is not None and cap.filename == row["filename"]
        assert (
            CdxClient(CdxConfig(index_url=empty, fallback_index_urls=(cdx,))).lookup("http://x.example/")
            is None
        )
    failing, server = failing_server(503)
    with server as down:  # one crawl down and none has the page: unknown, not "no capture"
        client = CdxClient(CdxConfig(index_url=cdx, fallback_index_urls=(down,), retries=0))
        with pytest.raises(CdxUnavailable):
            client.lookup("http://x.example/")
        assert client.lookup(row["url"]) is not None  # found before the failing one is asked
