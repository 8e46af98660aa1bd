"""Every ``python -m trainer`` command turns a bad flag or value into one ``error: ...`` line and exit 2:
no usage block, no traceback (``bench --warmup 0`` / ``--steps 0`` / ``--rounds 0`` used to crash)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from trainer.cli import main


def exit_and_stderr(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, list[str]]:
    try:
        code = main(argv)
    except SystemExit as e:  # argparse-level errors exit from the parser
        code = e.code
    return code, capsys.readouterr().err.strip().splitlines()


BENCH = ["bench", "--data", "SHARDS", "--tokenizer", "TOK"]


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--max-steps", "ten"], "--max-steps"),
        (["train", "--lr", "fast"], "--lr"),
        (["--preset", "tiny", "--bogus"], "--bogus"),
        (["--preset", "tiny", "--optim.lr=high"], "expected float"),
        (["--preset", "tiny", "--optim.nope=1"], "unknown setting"),
        (["export", "--out", "x"], "--checkpoint"),
        (["export", "--checkpoint", "c", "--out", "o", "--extra"], "--extra"),
        (["plot"], "run_dir"),
        ([*BENCH, "--warmup", "0"], "--warmup"),
        ([*BENCH, "--steps", "0"], "--steps"),
        ([*BENCH, "--rounds", "0"], "--rounds"),
        ([*BENCH, "--threads", "-1"], "--threads"),
        ([*BENCH, "--steps", "many"], "--steps"),
        ([*BENCH, "--device", "tpu"], "--device"),
        ([*BENCH, "--optim.lr=high"], "expected float"),
        ([*BENCH, "stray"], "stray"),
    ],
)
def test_bad_flag_is_one_error_line(capsys: pytest.CaptureFixture[str], argv: list[str], says: str) -> None:
    code, err = exit_and_stderr(capsys, argv)
    assert code == 2 and len(err) == 1 and err[0].startswith("error: "), (code, err)
    assert says in err[0]


def test_python_m_trainer_bench_warmup_zero() -> None:
    cmd = [sys.executable, "-m", "trainer", *BENCH, "--warmup", "0"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    err = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and len(err) == 1 and err[0].startswith("error: "), proc.stderr
