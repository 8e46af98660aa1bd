"""A full disk mid-write: one ``error:`` line naming the path (exit 2, no traceback), earlier outputs intact,
and after space is freed the same command finishes with output identical to a clean run.

The small disks are real tmpfs mounts (root only: CI runs as root, so under ``CI=true`` these tests run and
never skip). Each command is first run to completion on a roomy tmpfs, which gives the clean output and the
space it needs; then on a tmpfs a little smaller than that, so the disk fills late, after earlier outputs
(corpus shards, token shards of finished units, the previous checkpoint) are written.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import torch
from common import run_cli

sys.path.insert(0, str(Path(__file__).parents[1] / "trainer"))
from make_shards import make_shards  # noqa: E402

Mount = Callable[[Path, int], Path]
ROOMY = 32 << 20


def _mount(folder: Path, size: int | str, *, remount: bool = False) -> None:
    opts = f"remount,size={size}" if remount else f"size={size}"
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", opts, "tmpfs", str(folder)], check=True, capture_output=True
    )


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Mount]:
    """``tmpfs(folder, bytes)`` mounts a tmpfs of that size at ``folder``; all are unmounted afterwards."""
    ci = os.environ.get("CI", "").lower() == "true"
    if os.geteuid() != 0:
        if ci:
            pytest.fail("CI=true but not root: the disk-full tests need root to mount a tmpfs")
        pytest.skip("needs root to mount a small tmpfs (CI runs as root)")
    mounted: list[Path] = []

    def mount(folder: Path, size: int) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        try:
            _mount(folder, size)
        except subprocess.CalledProcessError as e:
            if ci:
                raise
            pytest.skip(f"mounting a tmpfs is not permitted here: {e.stderr.decode().strip()}")
        mounted.append(folder)
        return folder

    yield mount
    for folder in reversed(mounted):
        subprocess.run(["umount", str(folder)], check=True)


def _used(folder: Path) -> int:
    st = os.statvfs(folder)
    return (st.f_blocks - st.f_bfree) * st.f_frsize


def _run(cmd: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600)


def _one_error_line(done: subprocess.CompletedProcess) -> str:
    err = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode == 2, (done.returncode, done.stderr[-3000:])
    assert len(err) == 1 and err[0].startswith("error: "), err  # no traceback, no second line
    return err[0]


def _same_files(got: Path, clean: Path, pattern: str) -> list[str]:
    """Names matching ``pattern`` in ``got``, after checking each is byte-identical to the clean run's."""
    names = sorted(p.name for p in got.glob(pattern))
    for name in names:
        assert (got / name).read_bytes() == (clean / name).read_bytes(), f"{name} differs from the clean run"
    return names


# --- trainer: a checkpoint save ----------------------------------------------------------------------------


def _state(step: int) -> dict:
    g = torch.Generator().manual_seed(step)
    return {
        "model": {"w": torch.randn(20_000, generator=g)},
        "optimizer": {"m": torch.randn(20_000, generator=g)},
    }


def test_checkpoint_save_on_a_full_disk(tmpfs: Mount, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from trainer import list_checkpoints, load_checkpoint
    from trainer.checkpoint import save_checkpoint

    disk = tmpfs(tmp_path / "disk", 256 << 10)
    run = disk / "run"
    first = save_checkpoint(run, 1, _state(1), {"note": "x"})  # ~160 KB: fits, a second one does not
    assert run_cli(lambda: save_checkpoint(run, 2, _state(2), {"note": "x"}) and 0) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("error: cannot write checkpoint "), err
    assert str(run / "checkpoints" / "step_00000002") in err[0] and "no space left on device" in err[0]
    assert list_checkpoints(run) == [first], "no half-written folder is a checkpoint"
    assert torch.equal(load_checkpoint(run).state["model"]["w"], _state(1)["model"]["w"]), "previous intact"
    assert not list((run / "checkpoints").glob(".step_*")), "the failed temp folder is removed"

    _mount(disk, "1m", remount=True)  # space freed: the same save now finishes
    again = save_checkpoint(run, 2, _state(2), {"note": "x"})
    clean = save_checkpoint(tmp_path / "clean", 2, _state(2), {"note": "x"})
    for name in ("model.safetensors", "train_state.pt", "meta.json"):
        assert (again / name).read_bytes() == (clean / name).read_bytes(), name


def _train_cmd(shards: Path, tok: Path, out: Path) -> list[str]:
    settings = {
        "data.seq_len": 64, "model.max_positions": 66, "model.hidden": 64, "model.ffn": 128,
        "optim.batch_size": 8, "optim.micro_batch": 4, "optim.max_steps": 6, "optim.warmup_steps": 2,
        "run.log_every": 1, "run.eval_every": 3, "run.save_every": 3, "run.progress": False,
        "data.valid_blocks": 16, "run.threads": 1,
    }  # fmt: skip
    return [
        sys.executable, "-m", "trainer", "--preset", "tiny", "--data", str(shards), "--tokenizer", str(tok),
        "--out", str(out), "--resume", *(f"--{k}={v}" for k, v in settings.items()),
    ]  # fmt: skip


def _same_checkpoint(got: Path, clean: Path) -> None:
    """The same weights (bytes), training state (every tensor and value) and metadata as the clean run's.

    ``train_state.pt``'s bytes differ between processes by torch's per-save ``serialization_id`` only, so
    its content is compared, and its checksum in ``meta.json`` is left out of the comparison."""
    from trainer.checkpoint import load_checkpoint

    assert sorted(p.name for p in got.iterdir()) == ["meta.json", "model.safetensors", "train_state.pt"]
    assert (got / "model.safetensors").read_bytes() == (clean / "model.safetensors").read_bytes()
    a, b = load_checkpoint(got), load_checkpoint(clean)  # checksums verified
    assert _flat(a.state) == _flat(b.state)
    a.meta["files"].pop("train_state.pt"), b.meta["files"].pop("train_state.pt")
    assert a.meta == b.meta


def _flat(value: object, at: str = "") -> dict[str, object]:
    """A nested state as {path: value}, tensors as (dtype, shape, values) so ``==`` compares them exactly."""
    if isinstance(value, dict):
        return {k: v for key, x in value.items() for k, v in _flat(x, f"{at}.{key}").items()}
    if isinstance(value, (list, tuple)):
        return {k: v for i, x in enumerate(value) for k, v in _flat(x, f"{at}[{i}]").items()}
    if isinstance(value, torch.Tensor):
        return {at: (str(value.dtype), tuple(value.shape), value.flatten().tolist())}
    return {at: value}


def test_trainer_run_on_a_full_disk(tmpfs: Mount, sample_data: Path, tmp_path: Path) -> None:
    """A real ``python -m trainer`` run whose step-6 save fills the disk: one line, step 3 intact and the
    only checkpoint; with space freed, the same command resumes and writes step 6 bit for bit as a clean run."""
    from trainer import list_checkpoints, load_checkpoint

    shards, tok = make_shards(tmp_path / "data", sample_data, docs=300, vocab=512, shard_docs=200)
    roomy = tmpfs(tmp_path / "roomy", ROOMY)
    clean = _run(_train_cmd(shards, tok, roomy / "run"))
    assert clean.returncode == 0, clean.stderr[-3000:]
    need = _used(roomy)
    clean_ckpts = roomy / "run" / "checkpoints"
    half_ckpt = sum(p.stat().st_size for p in (clean_ckpts / "step_00000006").iterdir()) // 2

    disk = tmpfs(tmp_path / "disk", need - half_ckpt)
    run, cmd = disk / "run", _train_cmd(shards, tok, disk / "run")
    line = _one_error_line(_run(cmd))
    assert line.startswith(f"error: cannot write checkpoint {run / 'checkpoints' / 'step_00000006'}/"), line
    assert "no space left on device" in line
    assert list_checkpoints(run) == [run / "checkpoints" / "step_00000003"], "no half-written checkpoint"
    assert not list((run / "checkpoints").glob(".step_*")), "the failed temp folder is removed"
    assert load_checkpoint(run).step == 3, "the previous checkpoint reads back whole"
    _same_checkpoint(run / "checkpoints" / "step_00000003", clean_ckpts / "step_00000003")

    _mount(disk, ROOMY, remount=True)
    done = _run(cmd)
    assert done.returncode == 0, done.stderr[-3000:]
    assert [p.name for p in list_checkpoints(run)] == ["step_00000003", "step_00000006"]
    _same_checkpoint(run / "checkpoints" / "step_00000006", clean_ckpts / "step_00000006")
    got, want = (json.loads((r / "config.json").read_text()) for r in (run, roomy / "run"))
    assert got["run"].pop("out") == str(run) and want["run"].pop("out") == str(roomy / "run")
    assert got == want


# --- tok encode --------------------------------------------------------------------------------------------


def test_tok_encode_on_a_full_disk(tmpfs: Mount, sample_data: Path, tmp_path: Path) -> None:
    from tokenizer.gpt2 import build_roberta_dir
    from tokenizer.shards import read_manifest, verify_shards

    tok = tmp_path / "tok"
    build_roberta_dir(sample_data / "bpe_gpt2_roberta", tok)
    inputs = [str(sample_data / "english_text" / n) for n in ("inaugural.zip", "webtext.zip")]

    def cmd(out: Path) -> list[str]:
        return [
            sys.executable, "-m", "tokenizer.cli", "encode", "--tokenizer", str(tok), "--input", *inputs,
            "--output", str(out), "--workers", "1", "--unit-mb", "0.2", "--quiet",
        ]  # fmt: skip

    roomy = tmpfs(tmp_path / "roomy", ROOMY)
    clean = roomy / "enc"
    assert _run(cmd(clean)).returncode == 0
    need = _used(roomy)
    assert read_manifest(clean)["encode"]["units"] >= 5, "enough units to fill the disk midway"

    disk = tmpfs(tmp_path / "disk", need - (300 << 10))  # about two units short
    out = disk / "enc"
    line = _one_error_line(_run(cmd(out)))
    assert line.startswith(f"error: no space left on device writing {out}/"), line
    assert not (out / "manifest.json").exists()
    assert not list(out.glob(".*.tmp")), "no temp file left behind"
    finished = sorted(p.stem for p in (out / ".progress").glob("unit-*.json"))
    assert finished, "some units finished before the disk filled"
    for marker in finished:  # each finished unit's shards are intact: the clean run's bytes, as recorded
        unit = json.loads((out / ".progress" / f"{marker}.json").read_text())
        for entry in unit["entries"].values():
            assert len(_same_files(out, clean, f"{entry['name']}.*.npy")) == 3

    _mount(disk, ROOMY, remount=True)
    done = _run(cmd(out))
    assert done.returncode == 0, done.stderr[-3000:]
    verify_shards(out)
    assert read_manifest(out)["splits"] == read_manifest(clean)["splits"]
    assert _same_files(out, clean, "*.npy") == sorted(p.name for p in clean.glob("*.npy"))


# --- corpus build ------------------------------------------------------------------------------------------

TIMINGS = {"cpu_s", "task_cpu_s", "time_s", "wall_s", "docs_per_s", "docs_per_s_per_core"}


def _untimed(value: object) -> object:
    """``stats.json`` without its clock readings (all that differs between two equal builds)."""
    if isinstance(value, dict):
        return {k: _untimed(v) for k, v in value.items() if k not in TIMINGS}
    if isinstance(value, list):
        return [_untimed(v) for v in value]
    return value


def test_corpus_build_on_a_full_disk(tmpfs: Mount, sample_data: Path, tmp_path: Path) -> None:
    from corpus.formats import read_shard, read_stats

    def cmd(out: Path) -> list[str]:
        return [
            sys.executable, "-m", "corpus.cli", "build", "cc-news", "--from", "2016-09", "--to", "2019-02",
            "--source", str(sample_data / "cc_news_mirror"), "--output", str(out), "--tasks", "4", "--quiet",
        ]  # fmt: skip

    roomy = tmpfs(tmp_path / "roomy", ROOMY)
    clean = roomy / "out"
    assert _run(cmd(clean)).returncode == 0
    need = _used(roomy)

    disk = tmpfs(tmp_path / "disk", need - (48 << 10))  # fills while the last shards are written
    out = disk / "out"
    line = _one_error_line(_run(cmd(out)))
    # the shard being written, or (when a datatrove writer of an earlier stage hit it) the build folder
    assert re.search(f"no space left on device writing (under )?{re.escape(str(out))}", line), line
    assert not (out / "stats.json").exists()
    assert not list(out.glob(".*.tmp")), "no temp shard left behind"
    shards = _same_files(out, clean, "*.jsonl.zst")  # every shard written before is the clean one
    assert shards, "shards were written before the disk filled"
    for name in shards:
        assert sum(1 for _ in read_shard(out / name)) > 0  # and reads back valid

    _mount(disk, ROOMY, remount=True)
    done = _run(cmd(out))
    assert done.returncode == 0, done.stderr[-3000:]
    assert _same_files(out, clean, "*.jsonl.zst") == sorted(p.name for p in clean.glob("*.jsonl.zst"))
    assert (out / "config.json").read_bytes() == (clean / "config.json").read_bytes()
    assert _untimed(read_stats(out)) == _untimed(read_stats(clean))
