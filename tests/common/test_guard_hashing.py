"""common.settings_guard, common.hashing and common.fileio."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest
from common import (
    SettingsMismatch,
    atomic_path,
    canonical_json,
    check_settings,
    file_sha256,
    json_sha256,
    write_json_atomic,
)
from hypothesis import given
from hypothesis import strategies as st


def test_guard_records_then_accepts_the_same_and_refuses_other_settings(tmp_path: Path) -> None:
    marker = tmp_path / "out" / "settings.json"
    check_settings(marker, {"a": (1, 2), "p": Path("x")}, what="a build")
    assert json.loads(marker.read_text()) == {"a": [1, 2], "p": "x"}
    check_settings(marker, {"a": [1, 2], "p": "x"}, what="a build")  # same settings as read back: resumes
    with pytest.raises(
        SettingsMismatch, match=r"out holds a build with different settings; use a new --output"
    ):
        check_settings(marker, {"a": [1, 3], "p": "x"}, what="a build")


def test_guard_raises_the_callers_error_type_and_can_skip_recording(tmp_path: Path) -> None:
    class MyError(Exception):
        pass

    marker = tmp_path / "s.json"
    check_settings(marker, {"k": 1}, record=False)
    assert not marker.exists()
    write_json_atomic(marker, {"k": 1})
    with pytest.raises(MyError, match="use a new --out"):
        check_settings(marker, {"k": 2}, flag="--out", error=MyError)


def test_unreadable_marker_is_a_clear_error(tmp_path: Path) -> None:
    marker = tmp_path / "s.json"
    marker.write_text("{not json")
    with pytest.raises(SettingsMismatch, match="cannot read"):
        check_settings(marker, {"k": 1})


def test_file_sha256_matches_hashlib_over_chunk_boundaries(tmp_path: Path) -> None:
    path = tmp_path / "blob"
    data = os.urandom(10_000)
    path.write_bytes(data)
    assert file_sha256(path, chunk=777) == hashlib.sha256(data).hexdigest() == file_sha256(path)


@given(st.dictionaries(st.text(max_size=5), st.one_of(st.integers(), st.text(max_size=5), st.booleans())))
def test_json_sha256_ignores_key_order(d: dict) -> None:
    reordered = dict(reversed(list(d.items())))
    assert json_sha256(d) == json_sha256(reordered)
    assert json.loads(canonical_json(d)) == d
    assert (
        json_sha256(d)
        == hashlib.sha256(json.dumps(d, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    )


def test_atomic_path_leaves_the_old_file_when_the_write_fails(tmp_path: Path) -> None:
    target = tmp_path / "f.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("crash mid-write")
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.txt"]  # no temp file left behind
