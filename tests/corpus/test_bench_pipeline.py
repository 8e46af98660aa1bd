"""``corpus bench-pipeline``: the WARC readers against each other, datatrove's language filter on the bundled
model, the one-line errors, and (slow) a whole run on one real CC-NEWS WARC."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from corpus.bench_pipeline import (
    _language_filter,
    _record_id,
    list_warcs,
    overlap,
    reader_speed,
    run_bench,
)
from datatrove.data import Document


def test_fastwarc_reads_what_warcio_reads(sample_data: Path) -> None:
    """The fast reader against the reference one: the same response records and payload bytes."""
    source = sample_data / "cc_news_mirror"
    res = reader_speed(source, list_warcs(source, 2))
    assert res["warcio"]["records"] == res["fastwarc"]["records"] > 0
    assert res["warcio"]["payload_bytes"] == res["fastwarc"]["payload_bytes"] > 0


def test_fineweb_language_filter_on_the_bundled_model() -> None:
    lang = _language_filter(["en"], 0.65)
    en = Document(
        text="The city council met on Tuesday to vote on the new harbour budget and the ferry.", id="a"
    )
    de = Document(
        text="Der Stadtrat hat am Dienstag über den neuen Haushalt für den Hafen abgestimmt.", id="b"
    )
    assert lang.filter(en) and en.metadata["language"] == "en"
    assert not lang.filter(de) and de.metadata["language"] == "de"


def test_record_ids_match_across_readers() -> None:
    assert _record_id("<urn:uuid:f74a4cd7-dbfb>") == _record_id("f74a4cd7-dbfb") == "f74a4cd7-dbfb"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--source", "/no/such/warcs"], "source folder not found"),
        (["--files", "0"], "--files must be >= 1"),
        (["--repeats", "0"], "--repeats must be >= 1"),
    ],
)
def test_bench_pipeline_user_errors(args: list[str], message: str) -> None:
    done = subprocess.run([sys.executable, "-m", "corpus.cli", "bench-pipeline", *args],
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2 and len(lines) == 1 and message in lines[0], done.stderr


def test_list_warcs_skips_wat_and_wet(sample_data: Path) -> None:
    names = list_warcs(sample_data / "warc")
    assert names and all(n.endswith(".warc.gz") for n in names)
    assert not any(n.endswith((".wat.gz", ".wet.gz")) for n in names)


def test_overlap_over_all_pages_and_over_pages_both_readers_pass() -> None:
    # e: a page datatrove's reader drops; x: a 404 page its reader passes on
    ours = {"read": ["a", "b", "c", "d", "e"], "kept": ["a", "b", "c", "e"]}
    theirs = {"read": ["a", "b", "c", "d", "x"], "kept": ["a", "b", "d"]}
    o = overlap(ours, theirs)
    assert (o["both"], o["only_project"], o["only_datatrove"]) == (2, 2, 1)
    assert o["jaccard"] == pytest.approx(2 / 5) and o["datatrove_kept_in_project"] == pytest.approx(2 / 3)
    assert o["read_by_both"] == 4 and (o["both_read_only_project"], o["both_read_only_datatrove"]) == (1, 1)
    assert o["jaccard_read_by_both"] == pytest.approx(2 / 4)


@pytest.mark.slow
def test_bench_pipeline_on_one_warc(sample_data: Path, tmp_path: Path) -> None:
    source = sample_data / "cc_news_mirror"
    res = run_bench(source, files=1, repeats=2)
    theirs = res["stages"]["datatrove-fineweb"]
    for name in ("project", "project-fineweb"):
        ours = res["stages"][name]
        assert ours["pages"] > 0 and theirs["pages"] > 0
        o = res["overlap"][name]
        assert o["both"] + o["only_project"] == len(ours["kept"])
        assert o["both"] + o["only_datatrove"] == len(theirs["kept"])
        assert res["speed_ratio"][name] == pytest.approx(ours["pages_per_cpu_s"] / theirs["pages_per_cpu_s"])
    for s in res["stages"].values():
        assert set(s["kept"]) <= set(s["read"]) and s["cpu_s"] > 0
    assert res["stages"]["project-fineweb"]["read"] == res["stages"]["project"]["read"]  # same reader
    done = subprocess.run([sys.executable, "-m", "corpus.cli", "bench-pipeline", "--source", str(source), "--files",
                           "1", "--repeats", "1", "--json", str(tmp_path / "p.json")],
                          capture_output=True, text=True, timeout=600)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert "project-fineweb / datatrove-fineweb: speed" in done.stdout and "fastwarc" in done.stdout
    assert json.loads((tmp_path / "p.json").read_text())["warc_files"] == list_warcs(source, 1)
