"""``bench``: a bad flag or value is one ``error: ...`` line on stderr and exit 2 (no usage block, no traceback)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from benchmarks.cli import main

BAD = {
    "bad int": ["glue", "--checkpoint", "c", "--data", "d", "--out", "o", "--seeds", "x"],
    "bad choice": [
        "squad",
        "--version",
        "3.0",
        "--checkpoint",
        "c",
        "--train",
        "t",
        "--dev",
        "d",
        "--out",
        "o",
    ],
    "missing flag": ["race", "--checkpoint", "c", "--out", "o"],
    "unknown command": ["nope"],
    "report size": ["report", "r.json", "--size", "medium"],
    "paper flag without value": ["paper", "--out", "o", "--table"],
    "speed bad int": ["speed", "--checkpoint", "c", "--data", "d", "--train", "many"],
    "wsc missing flag": ["wsc", "--checkpoint", "c", "--out", "o"],
}


@pytest.mark.parametrize("argv", BAD.values(), ids=BAD.keys())
def test_bad_flag_is_one_error_line(argv: list[str], capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    err = capsys.readouterr().err
    assert exc.value.code == 2
    assert err.startswith("error: ") and err.count("\n") == 1, err


def test_console_script_bad_flag_is_one_error_line() -> None:
    bench = Path(sys.executable).parent / "bench"
    proc = subprocess.run(
        [str(bench), "glue", "--checkpoint", "c", "--data", "d", "--out", "o", "--seeds", "x"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: argument --seeds"), proc.stderr


def test_bad_values_found_at_run_time_are_one_error_line(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    cases = {
        "no WSC data at": ["wsc", "--checkpoint", str(tmp_path), "--data", str(tmp_path / "x"), "--out", "o"],
        "--seeds must be >= 1": [
            *("paper", "--table", "1", "--corpus", str(tmp_path), "--tokenizer", str(tmp_path)),
            *("--out", str(tmp_path / "o"), "--seeds", "0"),
        ],
    }
    for message, argv in cases.items():
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.startswith("error: ") and message in err and err.count("\n") == 1, err
