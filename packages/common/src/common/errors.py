"""The one base class of user-facing errors: every package's own error type derives from it.

A CLI catches ``UserError`` and prints one ``error: <message>`` line with exit 2 (no traceback), so a
mistake raised deep in a library reads the same whichever command hit it.

Usage: ``class CorpusError(UserError): ...``; ``raise OverrideError("unknown setting --x.y")``
"""

from __future__ import annotations


class UserError(Exception):
    """Bad input or state the user can fix; the message is one self-contained line."""


class OverrideError(UserError, ValueError):
    """A ``--section.field=value`` override naming an unknown setting or carrying a bad value."""


class DiskFull(UserError):
    """A write ran out of space (ENOSPC/EDQUOT). The message names the path; what was complete is kept."""


class SettingsMismatch(UserError):
    """An output folder already holds work done with other settings; resuming it would mix the two."""
