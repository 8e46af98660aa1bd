"""Every CLI turns a bad flag or value into exactly one ``error: ...`` line on stderr and exit 2.

Run as real processes (the console scripts and ``python -m trainer``), so argparse's usage block, a
traceback or a warning printed on the way would all show up in stderr and fail the test.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent
TRAINER = [sys.executable, "-m", "trainer"]

CASES = {
    "corpus: bad int": [str(BIN / "corpus"), "build", "cc-news", "--output", "o", "--tasks", "two"],
    "corpus: unknown flag": [str(BIN / "corpus"), "stats", "x", "--no-such-flag"],
    "corpus: bad override": [
        str(BIN / "corpus"),
        "build",
        "cc-news",
        "--output",
        "o",
        "--extract.fast=maybe",
    ],
    "tok: bad int": [
        str(BIN / "tok"),
        "encode",
        "--tokenizer",
        "t",
        "--output",
        "o",
        "--input",
        "i",
        "--workers",
        "x",
    ],
    "tok: unknown command": [str(BIN / "tok"), "no-such-command"],
    "tok: missing required": [str(BIN / "tok"), "train"],
    "trainer: bad float": [*TRAINER, "--preset", "tiny", "--lr", "fast"],
    "trainer: bad override": [*TRAINER, "--preset", "tiny", "--optim.max_steps=ten"],
    "trainer export: missing required": [*TRAINER, "export", "--out", "x"],
    "trainer bench: zero warmup": [*TRAINER, "bench", "--data", "d", "--tokenizer", "t", "--warmup", "0"],
    "trainer bench: zero steps": [*TRAINER, "bench", "--data", "d", "--tokenizer", "t", "--steps", "0"],
    "trainer bench: zero rounds": [*TRAINER, "bench", "--data", "d", "--tokenizer", "t", "--rounds", "0"],
    "bench: bad int": [
        str(BIN / "bench"),
        "glue",
        "--out",
        "o",
        "--data",
        "d",
        "--checkpoint",
        "c",
        "--seeds",
        "x",
    ],
    "bench: unknown command": [str(BIN / "bench"), "no-such-command"],
    "bench: bad override": [
        str(BIN / "bench"),
        "glue",
        "--out",
        "o",
        "--data",
        "d",
        "--checkpoint",
        "c",
        "--recipe.nope=1",
    ],
}


@pytest.mark.parametrize("argv", list(CASES.values()), ids=list(CASES))
def test_bad_flag_is_one_error_line_and_exit_2(argv: list[str], tmp_path: Path) -> None:
    proc = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    lines = proc.stderr.splitlines()
    assert proc.returncode == 2, proc.stderr
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
