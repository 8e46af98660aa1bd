"""CDX lookup + WARC range fetch against real loopback servers (pywb CDX server, RangeHTTPServer)."""

from __future__ import annotations

import json

import pytest

pytest.importorskip(
    "pywb", reason="needs the test-servers extra: uv sync --all-packages --extra test-servers"
)
pytest.importorskip("RangeHTTPServer", reason="needs the test-servers extra")

from corpus.openwebtext.cdx import CdxClient, CdxConfig, CdxUnavailable  # noqa: E402
from corpus.openwebtext.fetch import FetchConfig, FetchError, fetch_record, read_range  # noqa: E402
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
    rec = fetch_record(FetchConfig(source=warcs), cap.filename, cap.offset, cap.length)
    assert rec.url == row["url"]
    assert rec.http_status == 200 and "html" in rec.content_type
    assert b"<html" in rec.payload.lower()
    # the same bytes as a local seek into the mirror: the server honoured the range
    raw_http = read_range(FetchConfig(source=warcs), cap.filename, cap.offset, cap.length)
    raw_local = read_range(
        FetchConfig(source=str(sample_data / MIRROR)), cap.filename, cap.offset, cap.length
    )
    assert raw_http == raw_local and len(raw_http) == cap.length


def test_range_fetch_of_a_bad_offset_is_a_counted_error(servers):
    cdx, warcs, rows = servers
    row = _html_row(rows)
    with pytest.raises(FetchError) as err:
        fetch_record(FetchConfig(source=warcs), row["filename"], int(row["offset"]) + 7, int(row["length"]))
    assert err.value.reason == "corrupt_record"
    with pytest.raises(FetchError) as err:
        fetch_record(FetchConfig(source=warcs, retries=0), "crawl-data/missing.warc.gz", 0, 100)
    assert err.value.reason == "warc_http_error"


def test_index_5xx_is_retried_then_raised():
    handler, server = failing_server(503)
    with server as url:
        client = CdxClient(CdxConfig(index_url=url, retries=2, backoff_s=0.01))
        with pytest.raises(CdxUnavailable):
            client.lookup("http://example.com/")
    assert handler.hits == 3  # first try + 2 retries


def test_index_5xx_then_recovery_succeeds(servers):
    cdx, _, rows = servers
    row = _html_row(rows)
    handler, server = flaky_proxy(cdx, fail_first=2)
    with server as url:
        cap = CdxClient(CdxConfig(index_url=url, retries=3, backoff_s=0.01)).lookup(row["url"])
    assert cap is not None and cap.offset == int(row["offset"])
    assert handler.hits == 3
