"""The "settings of this output folder" guard: a resumable job refuses a folder built with other settings.

Every resumable job (corpus builds, ``tok encode``, pretraining runs, finetuning sweeps, paper tables) keeps
completion markers in its output folder; they are only valid for the settings that wrote them. The first run
records its settings in a JSON file; a later run with the same settings resumes, one with other settings is
refused with one line telling the user to choose a new folder.

Usage: ``check_settings(out / "_work" / "settings.json", {"build": cfg_dict}, what="a build", flag="--output")``
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from common.errors import SettingsMismatch
from common.fileio import write_json_atomic


def normalise(settings: Any) -> Any:
    """``settings`` as it reads back from JSON (tuples become lists, paths strings), for comparison."""
    return json.loads(json.dumps(settings, default=str))


def stored_settings(path: str | Path) -> Any | None:
    """The settings recorded at ``path``, or ``None`` when the folder holds no recorded job."""
    path = Path(path)
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        raise SettingsMismatch(f"cannot read {path} ({e}); use a new output folder") from None


def check_settings(
    path: str | Path,
    settings: Any,
    *,
    what: str = "work",
    flag: str = "--output",
    error: type[Exception] = SettingsMismatch,
    record: bool = True,
    mismatch: str = "different settings",
) -> None:
    """Raise ``error`` when ``path`` records settings other than ``settings``; else record them (if asked).

    ``what`` names the recorded job in the message ("a build", "shards of another job"); ``flag`` is the
    option the user changes to pick a new folder; ``mismatch`` words the difference ("other settings").
    """
    path = Path(path)
    old = stored_settings(path)
    new = normalise(settings)
    if old is None:
        if record:
            write_json_atomic(path, new)
        return
    if old != new:
        raise error(f"{path.parent} holds {what} with {mismatch}; use a new {flag}")
