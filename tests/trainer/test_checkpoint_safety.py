"""Loading a checkpoint runs no code from it; damaged, truncated and half-written checkpoints are never used.

The attack files carry a real pickle payload (it creates a marker file when unpickled, which the first test
shows); every loader must refuse them with one ``error:`` line and exit 2, the marker never appearing.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from common import file_sha256
from trainer.checkpoint import (
    DamagedCheckpoint,
    list_checkpoints,
    load_checkpoint,
    load_model,
    rng_state,
    save_checkpoint,
    set_rng_state,
)
from trainer.cli import main
from trainer.config import ModelConfig
from trainer.model import Roberta
from trainer_kit import Payload, tiny_overrides

CFG = ModelConfig(vocab_size=300, hidden=32, layers=2, heads=4, ffn=64, max_positions=40)


def one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(err) == 1 and err[0].startswith("error: "), err
    return err[0]


def good_ckpt(run: Path, step: int = 7) -> Path:
    torch.manual_seed(step)
    model = Roberta(CFG)
    state = {"model": model.state_dict(), "rng": [rng_state()], "data": {"step": step}}
    return save_checkpoint(run, step, state, {"model": CFG.__dict__})


def v1_attack(run: Path, marker: Path) -> Path:
    """A v1-style checkpoint folder: meta.json + a state.pt whose unpickling creates ``marker``."""
    folder = run / "checkpoints" / "step_00000003"
    folder.mkdir(parents=True)
    torch.save({"model": Payload(marker)}, folder / "state.pt")
    meta = {"format": "roberta-trainer-checkpoint", "version": 1, "step": 3, "model": CFG.__dict__}
    (folder / "meta.json").write_text(json.dumps(meta))
    return folder


def test_the_payload_is_real(tmp_path: Path) -> None:
    folder = v1_attack(tmp_path / "run", tmp_path / "marker")
    torch.load(folder / "state.pt", weights_only=False)
    assert (tmp_path / "marker").exists(), "an unsafe load does run the payload"


def test_export_refuses_v1_pickle(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = v1_attack(tmp_path / "run", tmp_path / "marker")
    for target in (folder, folder / "state.pt", tmp_path / "run"):
        assert main(["export", "--checkpoint", str(target), "--out", str(tmp_path / "hf")]) == 2
        assert "--trust-checkpoint" in one_error_line(capsys)
    assert not (tmp_path / "marker").exists() and not (tmp_path / "hf" / "model.safetensors").exists()


def test_console_export_refuses_v1_pickle(tmp_path: Path) -> None:
    """The same through the real ``python -m trainer export`` in a fresh interpreter."""
    folder = v1_attack(tmp_path / "run", tmp_path / "marker")
    cmd = [
        sys.executable,
        "-m",
        "trainer",
        "export",
        "--checkpoint",
        str(folder),
        "--out",
        str(tmp_path / "hf"),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    err = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode == 2 and len(err) == 1 and err[0].startswith("error: "), done.stderr[-2000:]
    assert "--trust-checkpoint" in err[0]
    assert not (tmp_path / "marker").exists() and not (tmp_path / "hf").exists()


def test_payload_in_train_state_refused_even_with_right_checksum(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = good_ckpt(tmp_path / "run")
    torch.save({"rng": Payload(tmp_path / "marker")}, folder / "train_state.pt")
    meta = json.loads((folder / "meta.json").read_text())
    meta["files"]["train_state.pt"] = file_sha256(folder / "train_state.pt")
    (folder / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(Exception, match="refused checkpoint .*train_state.pt: not a plain-tensor file"):
        load_checkpoint(folder)
    assert not (tmp_path / "marker").exists()
    load_model(folder)  # evaluation and export never open train_state.pt


def test_resume_refuses_payload_in_train_state(
    reuters_shards: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A v2 checkpoint whose train_state.pt (checksum updated to match) carries the payload: ``--resume``
    stops with one line (refused, not skipped as damaged: an older checkpoint is not silently used)."""
    folder = good_ckpt(tmp_path / "run")
    torch.save({"rng": Payload(tmp_path / "marker")}, folder / "train_state.pt")
    meta = json.loads((folder / "meta.json").read_text())
    meta["files"]["train_state.pt"] = file_sha256(folder / "train_state.pt")
    (folder / "meta.json").write_text(json.dumps(meta))
    argv = ["--preset", "tiny", *tiny_overrides(*reuters_shards, tmp_path / "run"), "--resume"]
    assert main(argv) == 2
    line = one_error_line(capsys)
    assert line.startswith(f"error: refused checkpoint {folder / 'train_state.pt'}: not a plain-tensor file")
    assert not (tmp_path / "marker").exists()


def test_resume_refuses_v1_pickle(
    reuters_shards: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    v1_attack(tmp_path / "run", tmp_path / "marker")
    argv = ["--preset", "tiny", *tiny_overrides(*reuters_shards, tmp_path / "run"), "--resume"]
    assert main(argv) == 2
    assert "v1 checkpoint" in one_error_line(capsys)
    assert not (tmp_path / "marker").exists()


def test_init_from_refuses_hf_bin_payload(
    reuters_shards: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hf = tmp_path / "hf"
    hf.mkdir()
    (hf / "config.json").write_text(json.dumps({"model_type": "roberta", "vocab_size": 2048}))
    torch.save({"w": Payload(tmp_path / "marker")}, hf / "pytorch_model.bin")
    argv = ["--preset", "tiny", *tiny_overrides(*reuters_shards, tmp_path / "run"), "--init-from", str(hf)]
    assert main(argv) == 2
    assert "model.safetensors" in one_error_line(capsys)
    assert not (tmp_path / "marker").exists()


def test_trusted_v1_loads_with_a_warning(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "run" / "checkpoints" / "step_00000002"
    folder.mkdir(parents=True)
    model = Roberta(CFG)
    torch.save({"model": model.state_dict()}, folder / "state.pt")
    meta = {"format": "roberta-trainer-checkpoint", "version": 1, "step": 2, "model": CFG.__dict__}
    (folder / "meta.json").write_text(json.dumps(meta))
    assert (
        main(["export", "--checkpoint", str(folder), "--out", str(tmp_path / "hf"), "--trust-checkpoint"])
        == 0
    )
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("warning: loading v1 checkpoint")
    back = load_model(folder, trust=True)
    assert all(torch.equal(v, model.state_dict()[k]) for k, v in back.state_dict().items())


def test_rng_state_round_trips_through_weights_only(tmp_path: Path) -> None:
    import random

    import numpy as np

    random.random(), np.random.rand(), torch.rand(1)
    folder = save_checkpoint(tmp_path, 1, {"model": {}, "rng": [rng_state()]}, {})
    expect = (random.random(), float(np.random.rand()), float(torch.rand(1)))
    set_rng_state(load_checkpoint(folder).state["rng"][0])
    assert (random.random(), float(np.random.rand()), float(torch.rand(1))) == expect


@pytest.mark.parametrize("damage", ["truncate", "flip"])
def test_damaged_files_are_detected(tmp_path: Path, damage: str) -> None:
    folder = good_ckpt(tmp_path / "run")
    for name in ("model.safetensors", "train_state.pt"):
        path = folder / name
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2] if damage == "truncate" else data[:-9] + b"X" + data[-8:])
        with pytest.raises(DamagedCheckpoint, match=f"{name}: checksum mismatch"):
            load_checkpoint(folder)
        path.write_bytes(data)
    load_checkpoint(folder)


@pytest.mark.parametrize("damage", ["truncated", "bad-checksum"])
def test_resume_skips_a_damaged_latest(
    reuters_shards: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str], damage: str
) -> None:
    """Latest step 6 damaged (its weights truncated, or the checksum meta.json records for its train state
    altered): one warning line, resume from step 3, and step 6 is re-made bit for bit."""
    base = ["--preset", "tiny", *tiny_overrides(*reuters_shards, tmp_path / "run")]
    assert main(base) == 0
    six = tmp_path / "run" / "checkpoints" / "step_00000006"
    want = load_checkpoint(six).state
    if damage == "truncated":
        name, data = "model.safetensors", (six / "model.safetensors").read_bytes()
        (six / name).write_bytes(data[:1000])
    else:
        name, meta = "train_state.pt", json.loads((six / "meta.json").read_text())
        meta["files"][name] = "0" * 64
        (six / "meta.json").write_text(json.dumps(meta))
    capsys.readouterr()
    assert main([*base, "--resume"]) == 0
    warnings = [x for x in capsys.readouterr().err.splitlines() if x.startswith("warning:")]
    assert len(warnings) == 1 and f"step_00000006/{name}: checksum mismatch" in warnings[0], warnings
    got = load_checkpoint(six).state
    assert diff(got, want) == []
    for folder in list_checkpoints(tmp_path / "run"):  # all damaged: an error, never a start from 0
        (folder / "train_state.pt").write_bytes(b"")
    assert main([*base, "--resume"]) == 2
    assert "reads back whole" in capsys.readouterr().err.splitlines()[-1]


def diff(a: object, b: object, at: str = "") -> list[str]:
    """Paths where two nested states differ (tensors compared exactly)."""
    if isinstance(a, dict) and isinstance(b, dict):
        keys = set(a) | set(b)
        return [x for k in sorted(keys, key=str) for x in diff(a.get(k), b.get(k), f"{at}.{k}")]
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)) and len(a) == len(b):
        return [x for i, (u, v) in enumerate(zip(a, b, strict=True)) for x in diff(u, v, f"{at}[{i}]")]
    if isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor):
        return [] if a.dtype == b.dtype and torch.equal(a, b) else [at]
    return [] if a == b else [at]


KILLED_SAVE = """
import sys, torch
from trainer.checkpoint import save_checkpoint
run = sys.argv[1]
save_checkpoint(run, 1, {"model": {"w": torch.ones(4)}}, {})
print("saved", flush=True)
save_checkpoint(run, 2, {"model": {"w": torch.ones(4)}, "big": torch.zeros(96_000_000)}, {})
"""


def test_sigkill_mid_save_leaves_previous_usable(tmp_path: Path) -> None:
    run = tmp_path / "run"
    proc = subprocess.Popen([sys.executable, "-c", KILLED_SAVE, str(run)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "saved"
    deadline = time.monotonic() + 60
    while not list((run / "checkpoints").glob(".step_00000002.tmp-*/model.safetensors")):
        assert time.monotonic() < deadline and proc.poll() is None, "the second save never started"
        time.sleep(0.001)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (run / "checkpoints" / "step_00000002").exists(), "killed before the rename"
    assert list((run / "checkpoints").glob(".step_00000002.tmp-*")), "the half-written temp folder is there"
    assert list_checkpoints(run) == [run / "checkpoints" / "step_00000001"]
    assert torch.equal(load_checkpoint(run).state["model"]["w"], torch.ones(4))
    save_checkpoint(run, 3, {"model": {}}, {})  # the next save clears the killed one's leftovers
    assert not list((run / "checkpoints").glob(".step_*"))
