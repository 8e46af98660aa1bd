"""Where the shared third-party sample data lives: ``$ROBERTA_SAMPLE_DATA`` or ``../shared/data``.

One helper for every package, test and benchmark, so the data is always used in place, never copied.

Usage: ``root = sample_data_dir(); warcs = root / "cc_news_mirror"``
"""

from __future__ import annotations

import os
from pathlib import Path

ENV_VAR = "ROBERTA_SAMPLE_DATA"


def _default_candidates() -> list[Path]:
    # ../shared/data relative to the current directory (the repo root in CI) and to this checkout.
    here = Path(__file__).resolve()
    repo_root = here.parents[4]  # packages/common/src/common/sample_data.py -> repo root
    return [Path.cwd().parent / "shared" / "data", repo_root.parent / "shared" / "data"]


def sample_data_dir() -> Path | None:
    """Return the sample-data folder, or ``None`` when it is not present on this machine."""
    env = os.environ.get(ENV_VAR)
    if env:
        path = Path(env).expanduser()
        return path if path.is_dir() else None
    for cand in _default_candidates():
        if cand.is_dir():
            return cand.resolve()
    return None


def require_sample_data(*parts: str) -> Path:
    """Return ``sample_data_dir()/parts``; raise ``FileNotFoundError`` with a clear message if missing."""
    root = sample_data_dir()
    if root is None:
        raise FileNotFoundError(f"sample data not found: set {ENV_VAR} or place the data at ../shared/data")
    path = root.joinpath(*parts)
    if not path.exists():
        raise FileNotFoundError(f"sample data entry missing: {path}")
    return path
