"""A full disk mid-write: one ``error:`` line naming the path, earlier outputs intact, and after space is
freed the same command finishes with output identical to a clean run. The small disk is a real tmpfs mount
(root only: CI runs as root, so under ``CI=true`` the test runs, never skips)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from common import run_cli


def _mount(folder: Path, size: str, *, remount: bool = False) -> None:
    opts = f"remount,size={size}" if remount else f"size={size}"
    subprocess.run(["mount", "-t", "tmpfs", "-o", opts, "tmpfs", str(folder)], check=True)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 256 KiB tmpfs at ``tmp_path/disk``, unmounted afterwards."""
    if os.geteuid() != 0:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but not root: the disk-full tests need root to mount a tmpfs")
        pytest.skip("needs root to mount a small tmpfs (CI runs as root)")
    disk = tmp_path / "disk"
    disk.mkdir()
    _mount(disk, "256k")
    try:
        yield disk
    finally:
        subprocess.run(["umount", str(disk)], check=True)


def _state(step: int) -> dict:
    g = torch.Generator().manual_seed(step)
    return {
        "model": {"w": torch.randn(20_000, generator=g)},
        "optimizer": {"m": torch.randn(20_000, generator=g)},
    }


def test_checkpoint_save_on_a_full_disk(
    small_disk: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    from trainer import list_checkpoints, load_checkpoint
    from trainer.checkpoint import save_checkpoint

    run = small_disk / "run"
    first = save_checkpoint(run, 1, _state(1), {"note": "x"})  # ~160 KB: fits, a second one does not
    assert run_cli(lambda: save_checkpoint(run, 2, _state(2), {"note": "x"}) and 0) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("error: cannot write checkpoint "), err
    assert str(run / "checkpoints" / "step_00000002") in err[0] and "no space left on device" in err[0]
    assert list_checkpoints(run) == [first], "no half-written folder is a checkpoint"
    assert torch.equal(load_checkpoint(run).state["model"]["w"], _state(1)["model"]["w"]), "previous intact"
    assert not list((run / "checkpoints").glob(".step_*")), "the failed temp folder is removed"

    _mount(small_disk, "1m", remount=True)  # space freed: the same save now finishes
    again = save_checkpoint(run, 2, _state(2), {"note": "x"})
    clean = save_checkpoint(tmp_path / "clean", 2, _state(2), {"note": "x"})
    for name in ("model.safetensors", "train_state.pt", "meta.json"):
        assert (again / name).read_bytes() == (clean / name).read_bytes(), name
