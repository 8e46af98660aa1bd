"""``common``'s full-disk handling: ``atomic_path`` turns a failed write on a full disk into ``DiskFull`` naming
its target (the old file untouched, no temp file left), ``run_cli`` prints any ENOSPC as one line, and
``is_disk_full`` recognises the ways libraries report it. (The real full disks are in
tests/foundation/test_disk_full.py, on tmpfs.)"""

from __future__ import annotations

import errno
from pathlib import Path

import pytest
from common import DiskFull, atomic_path, is_disk_full, run_cli


def test_atomic_path_names_its_target_and_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "stats.json"
    target.write_text("old")
    with pytest.raises(DiskFull, match=f"^no space left on device writing {target}; "):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise OSError(errno.ENOSPC, "No space left on device")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["stats.json"], "no temp file left"


def test_other_errors_pass_through(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="bad record"):
        with atomic_path(tmp_path / "x") as tmp:
            tmp.write_text("half")
            raise ValueError("bad record")
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(
    "exc",
    [
        OSError(errno.ENOSPC, "No space left on device"),
        OSError(errno.EDQUOT, "Disk quota exceeded"),
        RuntimeError("Error while serializing: I/O error: No space left on device (os error 28)"),
    ],
)
def test_is_disk_full_recognises(exc: BaseException) -> None:
    assert is_disk_full(exc)
    try:  # also when wrapped by another library's error
        try:
            raise exc
        except BaseException as inner:
            raise RuntimeError("unexpected pos 123") from inner
    except RuntimeError as outer:
        assert is_disk_full(outer)


def test_is_disk_full_is_not_every_error(tmp_path: Path) -> None:
    assert not is_disk_full(OSError(errno.EACCES, "Permission denied"))
    assert not is_disk_full(RuntimeError("unexpected pos 123"), tmp_path)  # this disk has space


def test_run_cli_prints_a_full_disk_as_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    def command() -> int:
        raise OSError(errno.ENOSPC, "No space left on device", "/data/out/part-00001.jsonl.gz")

    assert run_cli(command) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("error: no space left on device writing /data/out/part-00001.jsonl.gz; ")
