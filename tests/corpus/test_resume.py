"""Kill a real ``corpus build`` subprocess midway, run the same command again: nothing lost, nothing twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from corpus import build_cc_news, read_documents, read_stats


def _cmd(mirror: Path, out: Path) -> list[str]:
    return [
        sys.executable, "-m", "corpus.cli", "build", "cc-news", "--from", "2016-09", "--to", "2019-02",
        "--source", str(mirror), "--output", str(out), "--tasks", "4", "--quiet",
    ]  # fmt: skip


def test_kill_midway_then_resume(mirror: Path, tmp_path: Path) -> None:
    out = tmp_path / "killed"
    first_done = out / "_work" / "logs" / "00_docs" / "completions" / "00000"
    proc = subprocess.Popen(
        _cmd(mirror, out), start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 300
    while not first_done.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert proc.poll() is None, (
        f"build ended before it could be killed: {proc.stderr.read().decode()[-2000:]}"
    )
    os.killpg(proc.pid, signal.SIGKILL)  # task 1 of the document stage is mid-way now
    proc.wait()
    assert not (out / "stats.json").exists()
    assert not list(out.glob("*.jsonl.zst"))
    stamp = first_done.stat().st_mtime_ns

    done = subprocess.run(_cmd(mirror, out), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert first_done.stat().st_mtime_ns == stamp  # the finished task was not redone

    reference = tmp_path / "clean"
    build_cc_news(mirror, reference, "2016-09", "2019-02", tasks=4)
    resumed_ids = [d["id"] for d in read_documents(out)]
    assert len(resumed_ids) == len(set(resumed_ids))  # nothing twice
    assert sorted(resumed_ids) == sorted(d["id"] for d in read_documents(reference))  # nothing lost
    assert read_stats(out)["kept"] == len(resumed_ids)
