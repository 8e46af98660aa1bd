"""WARC reading on real CommonCrawl-layout files: record classification, skip reasons, fault isolation."""

from __future__ import annotations

import gzip
import io
from collections import Counter
from pathlib import Path

import pytest
from corpus.sources import resolve_source
from corpus.steps.warc import WarcRecordReader, decode_html, iter_gzip_members
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter


def _read(source: str | Path, paths: list[str]) -> tuple[list, dict]:
    reader = WarcRecordReader(str(source), paths)
    docs = list(reader.run(None, 0, 1))
    return docs, {k: v.total for k, v in reader.stats.stats.items()}


def _reference_counts(files: list[Path]) -> Counter:
    """Slow obvious reference: classify every record with plain warcio over the whole file."""
    c: Counter = Counter()
    for f in files:
        for r in ArchiveIterator(open(f, "rb")):
            if r.rec_type == "revisit":
                c["revisit"] += 1
            elif r.rec_type != "response":
                c["not_a_response"] += 1
            else:
                status = r.http_headers.get_statuscode()
                ctype = (r.http_headers.get_header("Content-Type") or "").split(";")[0]
                if status.startswith("3"):
                    c["redirect"] += 1
                elif status == "404":
                    c["not_found"] += 1
                elif ctype != "text/html":
                    c["non_html"] += 1
                else:
                    c["html"] += 1
    return c


def test_gzip_members_match_reference(mirror: Path, mirror_warcs: list[str]) -> None:
    f = mirror / mirror_warcs[0]
    members = list(iter_gzip_members(open(f, "rb")))
    assert all(status == "ok" for status, _ in members) and len(members) > 10
    assert b"".join(d for _, d in members) == gzip.decompress(f.read_bytes())


def test_reader_counts_every_skip_reason(mirror: Path, mirror_warcs: list[str]) -> None:
    docs, stats = _read(mirror, mirror_warcs)
    ref = _reference_counts([mirror / p for p in mirror_warcs])
    assert len(docs) == stats["html_pages"] == ref["html"]
    for reason in ("revisit", "redirect", "not_found", "non_html", "not_a_response"):
        assert ref[reason] > 0
        assert stats[f"skip_{reason}"] == ref[reason], reason
    assert stats["records_read"] == sum(ref.values())
    assert all(d.metadata["url"].startswith("http") and d.metadata["date"][:2] == "20" and d.id for d in docs)
    assert len({d.id for d in docs}) == len(docs)


def _copy_with(tmp_path: Path, data: bytes, name: str = "x.warc.gz") -> Path:
    (tmp_path / name).write_bytes(data)
    return tmp_path


def test_truncated_gzip_costs_only_the_cut_record(
    tmp_path: Path, mirror: Path, mirror_warcs: list[str]
) -> None:
    raw = (mirror / mirror_warcs[0]).read_bytes()
    full, _ = _read(mirror, mirror_warcs[:1])
    docs, stats = _read(_copy_with(tmp_path, raw[: len(raw) * 2 // 3]), ["x.warc.gz"])
    assert stats["skip_truncated_member"] == 1
    assert 0 < len(docs) < len(full)
    assert [d.id for d in docs] == [d.id for d in full[: len(docs)]]


def test_corrupt_member_costs_one_record(tmp_path: Path, mirror: Path, mirror_warcs: list[str]) -> None:
    f = mirror / mirror_warcs[0]
    raw = f.read_bytes()
    full, _ = _read(mirror, mirror_warcs[:1])
    # locate the member holding the 3rd HTML response and scramble its deflate body (keep the gzip header)
    offsets = []
    it = ArchiveIterator(io.BytesIO(raw))
    for record in it:
        status = record.http_headers.get_statuscode() if record.http_headers else None
        offsets.append((it.get_record_offset(), record.rec_type, status))
    html_members = [off for off, typ, status in offsets if typ == "response" and status == "200"]
    target = html_members[2]
    bad = bytearray(raw)
    for i in range(target + 20, target + 60):
        bad[i] ^= 0xFF
    docs, stats = _read(_copy_with(tmp_path, bytes(bad)), ["x.warc.gz"])
    assert stats["skip_corrupt_member"] >= 1
    assert len(docs) >= len(full) - 2  # the scrambled record (an image could follow it) and nothing else
    assert {d.id for d in docs} < {d.id for d in full}


@pytest.mark.parametrize("content", [b"", b"this is not a warc file at all\n" * 50, bytes(range(256)) * 20])
def test_empty_and_garbage_files_yield_nothing_without_error(tmp_path: Path, content: bytes) -> None:
    docs, stats = _read(_copy_with(tmp_path, content), ["x.warc.gz"])
    assert docs == []
    if content:
        assert stats.get("skip_corrupt_file", 0) + stats.get("skip_corrupt_member", 0) >= 1


def _warc_with_page(path: Path, body: bytes, ctype: str) -> None:
    with open(path, "wb") as out:
        writer = WARCWriter(out, gzip=True)
        http = StatusAndHeaders("200 OK", [("Content-Type", ctype)], protocol="HTTP/1.1")
        rec = writer.create_warc_record(
            "http://example.org/page",
            "response",
            payload=io.BytesIO(body),
            http_headers=http,
            warc_headers_dict={"WARC-Date": "2017-06-01T10:00:00Z"},
        )
        writer.write_record(rec)


@pytest.mark.parametrize(
    ("text", "encoding", "ctype"),
    [
        ("Café déjà vu — naïve", "cp1252", "text/html; charset=windows-1252"),
        ("日本語のニュース記事", "shift_jis", "text/html"),  # charset only in <meta>
        ("Zürich Straße", "latin-1", "text/html"),  # no charset at all: UTF-8 fails, cp1252 fallback
    ],
)
def test_non_utf8_pages_are_decoded(tmp_path: Path, text: str, encoding: str, ctype: str) -> None:
    meta = f'<meta charset="{encoding}">' if encoding == "shift_jis" else ""
    body = f"<html><head>{meta}<title>t</title></head><body><p>{text}</p></body></html>".encode(encoding)
    _warc_with_page(tmp_path / "x.warc.gz", body, ctype)
    docs, _ = _read(tmp_path, ["x.warc.gz"])
    assert len(docs) == 1 and text in docs[0].text


def test_decode_html_bad_declared_charset_falls_back() -> None:
    assert "ok" in decode_html(b"<p>ok \xff</p>", "text/html; charset=not-a-charset")


def test_missing_warc_file_is_counted_not_fatal(mirror: Path, mirror_warcs: list[str]) -> None:
    docs, stats = _read(mirror, ["crawl-data/CC-NEWS/2099/01/nope.warc.gz", mirror_warcs[0]])
    assert stats["skip_missing_file"] == 1 and docs


def test_reader_shards_files_over_tasks(mirror: Path, mirror_warcs: list[str]) -> None:
    src = resolve_source(mirror)
    reader = WarcRecordReader(src, mirror_warcs[:4])
    ids = [[d.id for d in reader.run(None, r, 2)] for r in range(2)]
    whole = [d.id for d in WarcRecordReader(src, mirror_warcs[:4]).run(None, 0, 1)]
    assert sorted(ids[0] + ids[1]) == sorted(whole) and not set(ids[0]) & set(ids[1])
