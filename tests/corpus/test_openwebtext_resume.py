"""An interrupted OpenWebText URL-mining step resumes: a real ``corpus build openwebtext`` process is killed
(SIGKILL) mid-mining; the re-run keeps the dumps it had finished (one is replaced by an empty file after the
kill: read again, it would change every count) and ends with the URL list, counts and documents of a clean
build (real pywb CDX server and Range HTTP server on loopback, as in test_openwebtext_build)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from corpus.formats import read_documents
from test_openwebtext_build import _dump, loopback  # noqa: F401 - the loopback servers fixture

CORPUS = str(Path(sys.executable).parent / "corpus")
FILLER_LINES = 150_000  # low-score submissions: seconds of mining per dump, nothing kept from them


def _filler(path: Path, month: int) -> None:
    row = '{"id": "f%d_%d", "url": "http://filler.example.com/%d/%d", "score": 1, "is_self": false}\n'
    path.write_text("".join(row % (month, i, month, i) for i in range(FILLER_LINES)))


def _args(dumps: Path, out: Path, cdx: str, warcs: str) -> list[str]:
    return [CORPUS, "build", "openwebtext", "--submissions", str(dumps), "--output", str(out), "--index", cdx,
            "--source", warcs, "--quiet", "--cdx.retries=1", "--url_buckets=2", "--tasks=1"]  # fmt: skip


def _outcome(out: Path) -> dict:
    urls = out / "_work" / "00_urls"
    stats = json.loads((out / "stats.json").read_text())
    return {
        "url_files": {p.name: p.read_bytes() for p in sorted(urls.glob("urls-*.jsonl"))},
        "url_mining": stats["url_mining"],
        "kept": stats["kept"],
        "docs": {d["id"]: d["text"] for d in read_documents(out)},
    }


def test_killed_mining_resumes_and_equals_a_clean_build(loopback, tmp_path):  # noqa: F811
    cdx, warcs, captured = loopback
    dumps = tmp_path / "dumps"
    dumps.mkdir()
    first = _dump(dumps / "RS_2018-01.xz", captured[:4])
    _filler(dumps / "RS_2018-02.jsonl", 2)
    _filler(dumps / "RS_2018-03.jsonl", 3)
    clean = subprocess.run(_args(dumps, tmp_path / "clean", cdx, warcs), capture_output=True, text=True)
    assert clean.returncode == 0, clean.stderr[-2000:]
    expected = _outcome(tmp_path / "clean")
    assert expected["url_mining"]["submissions"] == 10 + 2 * FILLER_LINES and expected["docs"]

    out = tmp_path / "resumed"
    spill = out / "_work" / "00_urls" / ".spill"
    proc = subprocess.Popen(_args(dumps, out, cdx, warcs), start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    deadline = time.time() + 120
    while not (spill / "dump-00000.json").is_file() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.02)
    assert proc.poll() is None, "the build ended before its mining could be interrupted"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    # killed mid-mining: the first dump finished, the second half-spilled, no URL list yet
    assert (spill / "dump-00000.json").is_file() and (spill / "dump-00001").is_dir()
    assert (
        not (spill / "dump-00001.json").exists() and not (out / "_work" / "00_urls" / "mining.json").exists()
    )
    first.write_bytes(b"")  # read again, the first dump would now give no submissions at all

    again = subprocess.run(_args(dumps, out, cdx, warcs), capture_output=True, text=True)
    assert again.returncode == 0, again.stderr[-2000:]
    assert _outcome(out) == expected  # nothing re-read, lost or duplicated
    assert not spill.exists() and not list((out / "_work" / "00_urls").glob("*.done.json"))


def test_a_spill_of_other_settings_is_discarded(tmp_path):
    """Markers left by a run over other dumps or filters are not reused (their counts would be wrong)."""
    from corpus.openwebtext.mine import mine_urls
    from corpus.openwebtext.urls import UrlFilterConfig

    _filler(tmp_path / "RS_2018-02.jsonl", 2)
    spill = tmp_path / "urls" / ".spill"
    spill.mkdir(parents=True)
    (spill / "settings.json").write_text(json.dumps({"dumps": ["other"], "n_buckets": 2, "urls": {}}))
    (spill / "dump-00000.json").write_text(json.dumps({"dump": "other", "counts": {"submissions": 7}}))
    counts = mine_urls([tmp_path / "RS_2018-02.jsonl"], tmp_path / "urls", UrlFilterConfig(min_score=3), 2)
    assert counts["submissions"] == FILLER_LINES and counts["dropped_low_score"] == FILLER_LINES
