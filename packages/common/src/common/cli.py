"""One-line CLI errors for every command: a bad flag or value prints ``error: ...`` and exits 2.

argparse's default prints the usage block and the error; the README promises one line. ``Parser`` is the
``ArgumentParser`` every CLI (and every subparser: pass ``parser_class=Parser``) is built from, and
``run_cli`` turns a ``UserError`` raised anywhere below a command into the same one line, and so a full disk
(an ``OSError`` ENOSPC/EDQUOT that no writer named: ``common.fileio.atomic_path`` names its target).

Usage: ``p = Parser(prog="tok")``; ``return run_cli(lambda: _dispatch(p.parse_args(argv)))``
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from common.errors import UserError
from common.fileio import disk_full_error, is_disk_full


class Parser(argparse.ArgumentParser):
    """``ArgumentParser`` whose errors are one ``error: ...`` line on stderr and exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        fail(message)


def fail(message: str) -> None:
    """Print ``error: message`` on stderr and exit 2."""
    print(f"error: {message}", file=sys.stderr)
    raise SystemExit(2)


def int_at_least(low: int) -> Callable[[str], int]:
    """argparse ``type=``: an integer >= ``low`` (a bad value becomes the parser's one error line)."""

    def parse(raw: str) -> int:
        try:
            value = int(raw)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{raw!r} is not an integer") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"{raw!r} must be at least {low}")
        return value

    parse.__name__ = f"int>={low}"  # argparse names the type in its message
    return parse


positive_int = int_at_least(1)
non_negative_int = int_at_least(0)


def run_cli(command: Callable[[], int], extra_errors: tuple[type[BaseException], ...] = ()) -> int:
    """Run ``command``; a ``UserError`` (or one of ``extra_errors``) becomes one error line and exit 2."""
    try:
        return command()
    except (UserError, *extra_errors) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except OSError as e:  # a full disk anywhere below the command: one line naming what it was writing
        if not is_disk_full(e):
            raise
        print(f"error: {disk_full_error(e.filename or 'a file')}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted (re-run the same command to resume)", file=sys.stderr)
        return 130
