"""common.cli: one error line and exit 2 for parser errors, user errors and bad integer flags."""

from __future__ import annotations

import pytest
from common import Parser, UserError, int_at_least, run_cli


def _parser() -> Parser:
    p = Parser(prog="x")
    p.add_argument("--n", type=int_at_least(1), default=1)
    return p


@pytest.mark.parametrize(("raw", "why"), [("0", "must be at least 1"), ("two", "is not an integer")])
def test_bad_integer_is_one_error_line(raw: str, why: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as e:
        _parser().parse_args(["--n", raw])
    err = capsys.readouterr().err.splitlines()
    assert e.value.code == 2 and len(err) == 1 and err[0].startswith("error: ") and why in err[0]


def test_good_integer_parses() -> None:
    assert _parser().parse_args(["--n", "3"]).n == 3


def test_run_cli_turns_a_user_error_into_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    def command() -> int:
        raise UserError("no such folder: /x")

    assert run_cli(command) == 2
    assert capsys.readouterr().err == "error: no such folder: /x\n"
    assert run_cli(lambda: 0) == 0


def test_run_cli_lets_programming_errors_through() -> None:
    def command() -> int:
        raise KeyError("bug")

    with pytest.raises(KeyError):
        run_cli(command)
