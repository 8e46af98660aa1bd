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
