"""Atomic file writes, the one owner for every package: write to a temp file beside the target, then rename.

A crash mid-write leaves the old file (or nothing), never a half-written one, so resumable jobs can trust
that any file present under its final name is complete. A full disk (ENOSPC/EDQUOT) raises ``DiskFull``
naming the target: the CLI's one error line, and the previous file under that name untouched.

Usage: ``with atomic_path(out / "stats.json") as tmp: tmp.write_text(...)``
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from common.errors import DiskFull

FULL_ERRNOS = (errno.ENOSPC, errno.EDQUOT)


def is_disk_full(exc: BaseException | None, folder: str | os.PathLike[str] | None = None) -> bool:
    """Whether ``exc`` (or an exception it was raised from or during) is a full disk or an exceeded quota.

    Some writers drop the errno: safetensors keeps only the message; numpy's ``tofile`` ("N requested and M
    written") and torch's zip writer lose both, so with ``folder`` given, a failed write into a folder whose
    file system has no space left also counts.
    """
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, DiskFull) or getattr(exc, "errno", None) in FULL_ERRNOS:
            return True
        if any(os.strerror(code) in str(exc) for code in FULL_ERRNOS):  # safetensors: "(os error 28)"
            return True
        exc = exc.__cause__ or exc.__context__
    if folder is None:
        return False
    try:
        return shutil.disk_usage(folder).free == 0
    except OSError:
        return False


def disk_full_error(path: str | os.PathLike[str]) -> DiskFull:
    """The one-line error for a write under ``path`` that ran out of space."""
    return DiskFull(
        f"no space left on device writing {path}; work finished before it is kept: "
        "free space and re-run the same command"
    )


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def atomic_path(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temp path in the target's folder; on success fsync and rename it onto ``target``."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the final file normal permissions
    try:
        yield tmp
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except DiskFull:
        raise
    except Exception as e:
        if is_disk_full(e, target.parent):
            raise disk_full_error(target) from None
        raise
    finally:
        if tmp.exists():
            tmp.unlink()


def write_json_atomic(target: str | os.PathLike[str], obj: Any) -> None:
    """Write ``obj`` as pretty JSON to ``target`` atomically."""
    with atomic_path(target) as tmp:
        tmp.write_text(json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8")
