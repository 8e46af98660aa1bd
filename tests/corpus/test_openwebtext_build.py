"""End to end: `build openwebtext` over a crafted submissions dump whose URLs are captured in the CC-MAIN
mirror, against a real pywb CDX server and a real Range-capable HTTP server on loopback (no mocked HTTP)."""

from __future__ import annotations

import json
import lzma

import pytest

pytest.importorskip(
    "pywb", reason="needs the test-servers extra: uv sync --all-packages --extra test-servers"
)
pytest.importorskip("RangeHTTPServer", reason="needs the test-servers extra")

from corpus.cli import main  # noqa: E402
from corpus.executors import ExecutorConfig  # noqa: E402
from corpus.formats import read_documents, read_stats  # noqa: E402
from corpus.openwebtext.build import OpenWebTextConfig, build_openwebtext  # noqa: E402
from corpus.openwebtext.cdx import CdxConfig  # noqa: E402
from corpus.openwebtext.fetch import FetchConfig  # noqa: E402
from corpus.steps.dedup import DedupConfig  # noqa: E402
from owt_loopback import MIRROR, build_index, failing_server, pywb_server, range_server  # noqa: E402

N_CAPTURED = 12


@pytest.fixture(scope="module")
def loopback(sample_data, tmp_path_factory):
    root = tmp_path_factory.mktemp("owt-pywb")
    mirror = sample_data / MIRROR
    index = build_index(mirror, root)
    rows = [json.loads(line.split(" ", 2)[2]) for line in index.read_text().splitlines()]
    captured = sorted(
        r["url"]
        for r in rows
        if r["status"] == "200" and r["mime"] == "text/html" and "resiliparse" not in r["filename"]
    )[:N_CAPTURED]
    with pywb_server(root) as cdx, range_server(mirror) as warcs:
        yield cdx, warcs, captured


def _sub(i, url, **kw):
    return {"id": f"s{i}", "url": url, "score": 5, "is_self": False, "subreddit": "news", **kw}


def _dump(path, captured):
    subs = [_sub(i, u) for i, u in enumerate(captured)]
    subs += [
        _sub(100, "http://never-crawled.example.org/story.html"),  # no capture in the index
        _sub(101, captured[0].replace("http://", "https://", 1)),  # the same page again: a duplicate URL
        _sub(102, "https://www.reddit.com/r/news/comments/1/x/", is_self=True),
        _sub(103, "http://example.com/low", score=1),
        _sub(104, "http://example.com/photo.jpg"),
        _sub(105, "https://www.youtube.com/watch?v=abc"),
    ]
    lines = [json.dumps(s).encode() + b"\n" for s in subs]
    lines.insert(3, b'{"id": "broken", "url": "http://exa\n')  # a corrupt line
    path.write_bytes(lzma.compress(b"".join(lines)))
    return path


def _config(dump, cdx, warcs, **kw):
    return OpenWebTextConfig(
        submissions=(str(dump),),
        cdx=CdxConfig(index_url=cdx, retries=1, backoff_s=0.01),
        fetch=FetchConfig(source=warcs, retries=1, backoff_s=0.01),
        **{"url_buckets": 4, "tasks": 2, **kw},
    )


def test_build_openwebtext_end_to_end(loopback, tmp_path):
    cdx, warcs, captured = loopback
    dump = _dump(tmp_path / "RS_2018-01.xz", captured)
    out = tmp_path / "owt"
    stats = build_openwebtext(_config(dump, cdx, warcs), out, executor=ExecutorConfig(workers=1))
    docs = list(read_documents(out))
    assert docs and all(d["source"] == "openwebtext" for d in docs)
    assert {d["url"] for d in docs} <= set(captured)
    assert len({d["id"] for d in docs}) == len(docs)
    mining = stats["url_mining"]
    assert mining["corrupt_line"] == 1
    assert mining["dropped_self_post"] == mining["dropped_low_score"] == mining["dropped_media"] == 1
    assert mining["dropped_blocked_domain"] == 1 and mining["dropped_duplicate_url"] == 1
    assert mining["urls"] == N_CAPTURED + 1
    assert stats["skipped"]["no_capture"] == 1
    assert stats["html_pages"] == N_CAPTURED  # every captured URL was fetched by range and read
    removed = sum(stats["dropped"].values()) + sum(stats["duplicates_removed"].values())
    assert stats["kept"] == len(docs) == N_CAPTURED - removed
    assert read_stats(out)["kept"] == len(docs)
    # the same command again resumes: nothing redone, nothing duplicated
    again = build_openwebtext(_config(dump, cdx, warcs), out, executor=ExecutorConfig(workers=1))
    assert sorted(d["id"] for d in read_documents(out)) == sorted(d["id"] for d in docs)
    assert again["kept"] == stats["kept"]


def test_index_5xx_is_counted_and_skipped(loopback, tmp_path):
    _, warcs, captured = loopback
    dump = _dump(tmp_path / "RS_2018-02.xz", captured[:3])
    handler, server = failing_server(503)
    with server as bad_index:
        stats = build_openwebtext(_config(dump, bad_index, warcs, tasks=1), tmp_path / "owt")
    assert (
        stats["skipped"]["index_unavailable"] == 3 + 1
    )  # 3 captured + never-crawled (the duplicate is mined out)
    assert stats["kept"] == 0


def test_cli_build_openwebtext(loopback, tmp_path, capsys):
    cdx, warcs, captured = loopback
    dump = _dump(tmp_path / "RS_2018-03.xz", captured[:4])
    out = tmp_path / "owt"
    rc = main(
        ["build", "openwebtext", "--submissions", str(dump), "--output", str(out), "--index", cdx,
         "--source", warcs, "--min-score", "3", "--quiet", "--cdx.retries=1", "--url_buckets=2"]
    )  # fmt: skip
    assert rc == 0
    assert json.loads(capsys.readouterr().out)["kept"] == len(list(read_documents(out)))
    assert (
        main(["build", "openwebtext", "--submissions", str(tmp_path / "none*.zst"), "--output", str(out)])
        == 2
    )
    assert "no submission dumps" in capsys.readouterr().err
    assert (
        main(["build", "openwebtext", "--submissions", str(dump), "--output", str(out), "--cdx.nope=1"]) == 2
    )
    assert "unknown setting --cdx.nope" in capsys.readouterr().err
    assert (
        main(
            [
                "build",
                "openwebtext",
                "--submissions",
                str(dump),
                "--output",
                str(tmp_path / "o3"),
                "--source",
                "s3://commoncrawl",
            ]
        )
        == 2
    )
    assert "need an https URL or a local folder" in capsys.readouterr().err
    assert (
        main(
            [
                "build",
                "openwebtext",
                "--submissions",
                str(dump),
                "--output",
                str(tmp_path / "o2"),
                "--index",
                cdx,
                "--source",
                warcs,
                "--url_buckets=0",
            ]
        )
        == 2
    )
    assert "url_buckets must be >= 1" in capsys.readouterr().err


def test_real_pushshift_dumps_run_end_to_end(loopback, sample_data, tmp_path):
    """The two real 2005 dumps through every stage: their URLs are not in the 2018 mirror's index, so each
    looked-up URL (the first 60: pywb answers ~20 lookups/s here) counts as having no capture."""
    cdx, warcs, _ = loopback
    cfg = OpenWebTextConfig(
        submissions=(str(sample_data / "openwebtext_inputs" / "RS_*.xz"),),
        cdx=CdxConfig(index_url=cdx, retries=1, backoff_s=0.01),
        fetch=FetchConfig(source=warcs),
        url_buckets=2,
        tasks=2,
        limit=60,
        dedup=DedupConfig(exact_url=False, exact_text=False, near=False),
    )
    stats = build_openwebtext(cfg, tmp_path / "owt")
    assert stats["url_mining"]["submissions"] == 1182
    assert stats["urls"] == stats["url_mining"]["urls"] > 800
    assert stats["skipped"]["no_capture"] == 60
    assert stats["html_pages"] == stats["kept"] == 0


@pytest.mark.cluster
@pytest.mark.slow  # the URL stages, the fetch and the CC-NEWS stages as ~20 chained jobs: minutes here
def test_slurm_build_equals_local(loopback, slurm_cluster, tmp_path):
    """The same dump on the one-node Slurm cluster (its jobs reach the loopback CDX and WARC servers)."""
    cdx, warcs, captured = loopback
    dump = _dump(tmp_path / "RS_2018-01.xz", captured)
    cfg = _config(dump, cdx, warcs, dedup=DedupConfig(near=False))
    local = build_openwebtext(cfg, tmp_path / "local", executor=ExecutorConfig(workers=1))
    slurm = build_openwebtext(
        cfg, tmp_path / "slurm", executor=ExecutorConfig(kind="slurm", mem_per_cpu_gb=0.5)
    )
    docs = [{d["id"]: d["text"] for d in read_documents(tmp_path / o)} for o in ("local", "slurm")]
    assert docs[0] == docs[1] and docs[0]
    assert slurm["kept"] == local["kept"] and slurm["skipped"] == local["skipped"]
