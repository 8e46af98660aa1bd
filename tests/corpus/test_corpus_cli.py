"""The ``corpus`` command line: help, one-line errors (exit 2), a small real build, the extraction benchmark."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from corpus.cli import main


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "corpus.cli", *args], capture_output=True, text=True, timeout=300
    )


def test_help_is_fast_and_everywhere() -> None:
    for args in ([], ["build"], ["build", "cc-news"], ["bench-extract"], ["stats"]):
        done = _run(*args, "--help")
        assert done.returncode == 0 and "usage:" in done.stdout
    probe = (
        "import sys, corpus.cli; print(sorted(m for m in ('datatrove', 'trafilatura') if m in sys.modules))"
    )
    assert (
        subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True).stdout.strip() == "[]"
    )


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--source", "/no/such/mirror"], "source folder not found"),
        (["--from", "2016-13"], "bad month"),
        (["--from", "2019-01", "--to", "2018-01"], "after"),
        (["--tasks", "0"], "--tasks must be >= 1"),
        (["--extract.no_such_field=1"], "unknown setting"),
        (["--extract.fast=maybe"], "bad value"),
        (["--executor", "dask"], "invalid choice"),
        (["--source", "http://127.0.0.1:{port}"], "cannot read"),
    ],
)
def test_user_errors_are_one_line(args: list[str], message: str, mirror: Path, tmp_path: Path) -> None:
    args = [a.replace("{port}", str(_closed_port())) for a in args]
    base = ["build", "cc-news", "--output", str(tmp_path / "o"), "--quiet"]
    if "--source" not in args:
        base += ["--source", str(mirror)]
    done = _run(*base, *args)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], done.stderr


def test_small_build_from_the_cli(mirror: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "o"
    code = main(["build", "cc-news", "--from", "2018-11", "--to", "2018-11", "--source", str(mirror),
                 "--output", str(out), "--limit", "12", "--quiet", "--filters.min_words=20"])  # fmt: skip
    assert code == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["html_pages"] == 12 and 0 < stats["kept"] <= 12
    assert json.loads((out / "config.json").read_text())["build"]["filters"]["min_words"] == 20
    assert main(["stats", str(out), "--build"]) == 0
    assert json.loads(capsys.readouterr().out)["kept"] == stats["kept"]


def test_bench_extract_command(sample_data: Path, tmp_path: Path) -> None:
    done = _run(
        "bench-extract",
        "--rounds",
        "1",
        "--json",
        str(tmp_path / "bench.json"),
        "--plot",
        str(tmp_path / "b.png"),
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "speed ratio project / trafilatura-default" in done.stdout
    res = json.loads((tmp_path / "bench.json").read_text())
    assert res["pages"] == 91
    assert (tmp_path / "b.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    project = res["extractors"]["project"]
    assert project["f1"] >= 0.95  # the quality bar, on real annotated pages
    assert project["f1"] >= res["extractors"]["trafilatura-default"]["f1"]
