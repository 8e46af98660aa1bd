"""Pushshift dump reading (xz/zst/bz2, corrupt lines, truncation) and OpenWebText URL filtering/dedup."""

from __future__ import annotations

import bz2
import json
import lzma
from collections import Counter

import pytest
import zstandard
from corpus.openwebtext.mine import list_url_files, mine_urls
from corpus.openwebtext.submissions import SubmissionDumpError, expand_dumps, iter_dump, iter_submissions
from corpus.openwebtext.urls import UrlFilterConfig, check_submission, read_blocklist
from corpus.urls import normalize_url, url_key

OWT = "openwebtext_inputs"


@pytest.fixture(scope="module")
def raw_lines(sample_data) -> list[bytes]:
    with lzma.open(sample_data / OWT / "RS_v2_2005-07.xz", "rb") as f:
        return f.read().splitlines(keepends=True)


def test_real_xz_dumps_stream_every_submission(sample_data):
    counts: Counter[str] = Counter()
    subs = list(iter_submissions(expand_dumps(str(sample_data / OWT / "RS_*.xz")), counts))
    assert len(subs) == 103 + 1079  # per PROVENANCE.md
    assert counts["corrupt_line"] == 0 and counts["truncated_stream"] == 0
    assert sum(s["score"] >= 3 for s in subs) == 83 + 757


def test_zstd_long_window_dump(tmp_path, raw_lines):
    path = tmp_path / "RS_2019-01.zst"
    params = zstandard.ZstdCompressionParameters.from_level(3, window_log=28)  # > the default 2**27 limit
    with open(path, "wb") as f, zstandard.ZstdCompressor(compression_params=params).stream_writer(f) as w:
        w.write(b"".join(raw_lines))
    with pytest.raises(zstandard.ZstdError):  # what a plain decoder does with Pushshift's dumps
        zstandard.ZstdDecompressor().stream_reader(open(path, "rb")).read()
    subs = list(iter_dump(path))
    assert [s["id"] for s in subs] == [json.loads(ln)["id"] for ln in raw_lines]


def test_bz2_dump(tmp_path, raw_lines):
    path = tmp_path / "RS_2005-07.bz2"
    path.write_bytes(bz2.compress(b"".join(raw_lines)))
    assert len(list(iter_dump(path))) == len(raw_lines)


def test_corrupt_lines_are_counted_and_skipped(tmp_path, raw_lines):
    bad = [b'{"id": "cut", "url": "http://a.b/\n', b"\xff\xfe garbage \x00\n", b"[1, 2, 3]\n", b"\n"]
    path = tmp_path / "RS_bad.xz"
    path.write_bytes(lzma.compress(b"".join(raw_lines[:5] + bad + raw_lines[5:10])))
    counts: Counter[str] = Counter()
    subs = list(iter_dump(path, counts))
    assert len(subs) == 10
    assert counts["corrupt_line"] == 3


def test_truncated_dump_keeps_earlier_lines(tmp_path, raw_lines):
    whole = lzma.compress(b"".join(raw_lines))
    path = tmp_path / "RS_trunc.xz"
    path.write_bytes(whole[: len(whole) // 2])
    counts: Counter[str] = Counter()
    subs = list(iter_dump(path, counts))
    assert counts["truncated_stream"] == 1
    assert 0 < len(subs) < len(raw_lines)
    assert [s["id"] for s in subs] == [json.loads(ln)["id"] for ln in raw_lines[: len(subs)]]


def test_no_dump_is_a_clear_error(tmp_path):
    with pytest.raises(SubmissionDumpError, match="no submission dumps"):
        expand_dumps(str(tmp_path / "RS_*.zst"))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("HTTP://WWW.Example.COM", "http://www.example.com/"),
        ("https://example.com:443/a?utm_source=x&id=7#frag", "https://example.com/a?id=7"),
        ("http://example.com:8080/a?b=1&amp;c=2", "http://example.com:8080/a?b=1&c=2"),
        ("  http://example.com/x?fbclid=abc  ", "http://example.com/x"),
        ("ftp://example.com/file", None),
        ("not a url", None),
        ("http://[bad", None),
    ],
)
def test_normalize_url(raw, expected):
    assert normalize_url(raw) == expected


def test_url_key_merges_scheme_and_www_variants():
    a, b = normalize_url("http://www.bbc.co.uk/news/1"), normalize_url("https://bbc.co.uk/news/1")
    assert url_key(a) == url_key(b)
    assert url_key(a) != url_key(normalize_url("https://bbc.co.uk/news/2"))


def _sub(**kw):
    return {"id": "x", "is_self": False, "score": 10, "url": "http://news.example.com/story", **kw}


@pytest.mark.parametrize(
    ("sub", "reason"),
    [
        (_sub(), None),
        (_sub(score=3), None),
        (_sub(score=2), "low_score"),
        (_sub(score=None), "low_score"),
        (_sub(is_self=True, url="https://www.reddit.com/r/x/comments/1/"), "self_post"),
        (_sub(domain="self.AskReddit"), "self_post"),
        (_sub(url="http://i.example.com/cat.JPG"), "media"),
        (_sub(url="http://example.com/paper.pdf?dl=1"), "media"),
        (_sub(is_video=True), "media"),
        (_sub(url="https://m.youtube.com/watch?v=1"), "blocked_domain"),
        (_sub(url="http://www.imgur.com/abc"), "blocked_domain"),
        (_sub(url="http://notimgur.com/abc"), None),
        (_sub(url="javascript:alert(1)"), "bad_url"),
    ],
)
def test_check_submission(sub, reason):
    assert check_submission(sub, UrlFilterConfig()) == reason


def test_configurable_blocklist(tmp_path):
    path = tmp_path / "block.txt"
    path.write_text("# news we do not want\nexample.com\n\n")
    cfg = UrlFilterConfig(extra_blocklist=read_blocklist(path), min_score=5)
    assert check_submission(_sub(), cfg) == "blocked_domain"
    assert check_submission(_sub(url="http://other.org/"), cfg) is None
    assert check_submission(_sub(url="http://other.org/", score=4), cfg) == "low_score"


@pytest.mark.parametrize("n_buckets", [1, 7])
def test_mining_real_dumps_matches_a_plain_reference(sample_data, tmp_path, n_buckets):
    dumps = expand_dumps(str(sample_data / OWT))
    counts = mine_urls(dumps, tmp_path / "urls", UrlFilterConfig(), n_buckets=n_buckets)
    mined = [json.loads(ln) for f in list_url_files(tmp_path / "urls") for ln in f.open()]
    # the obvious in-memory reference: filter, then keep the first of each dedup key
    cfg, ref = UrlFilterConfig(), {}
    for sub in iter_submissions(dumps):
        if check_submission(sub, cfg) is None:
            ref.setdefault(url_key(normalize_url(sub["url"])), sub["id"])
    assert sorted(r["id"] for r in mined) == sorted(ref.values())
    assert counts["urls"] == len(ref) and counts["submissions"] == 1182
    assert counts["dropped_duplicate_url"] + counts["urls"] == 1182 - sum(
        v for k, v in counts.items() if k.startswith("dropped_") and k != "dropped_duplicate_url"
    )
    assert all(r["score"] >= 3 for r in mined)


def test_mining_is_skipped_once_done(sample_data, tmp_path):
    dumps = expand_dumps(str(sample_data / OWT))
    first = mine_urls(dumps, tmp_path, UrlFilterConfig(), n_buckets=4)
    (tmp_path / "urls-00000.jsonl").write_text("")  # a re-run must not redo (or notice) finished work
    assert mine_urls(dumps, tmp_path, UrlFilterConfig(), n_buckets=4) == first


def test_dump_is_streamed_not_loaded(tmp_path, monkeypatch):
    """Reading the first submission of a 5 MB (incompressible) zstd dump reads only the first chunk of it."""
    import os

    from corpus.openwebtext import submissions as mod

    lines = b"".join(
        json.dumps({"id": str(i), "pad": os.urandom(128).hex()}).encode() + b"\n" for i in range(20_000)
    )
    path = tmp_path / "RS_big.zst"
    path.write_bytes(zstandard.ZstdCompressor(level=1).compress(lines))
    opened = []
    real_open = open

    def spy(*args, **kwargs):
        f = real_open(*args, **kwargs)
        opened.append(f)
        return f

    monkeypatch.setattr(mod, "open", spy, raising=False)
    gen = iter_dump(path)
    assert next(gen)["id"] == "0"
    assert opened[0].tell() < path.stat().st_size / 2  # ~1 MB of 5.4 MB read so far
    assert sum(1 for _ in gen) == 19_999
