"""``tok encode`` given a tokenizer folder whose ``merges.txt`` is cut short (mid-line, or at a line end so
every remaining line is a well-formed merge): one ``error:`` line naming the file, exit 2, nothing written."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from tokenizer import Tokenizer
from tokenizer.bpe import DamagedTokenizer


def cut_merges(src: Path, dst: Path, *, at_line_end: bool) -> Path:
    """A copy of tokenizer folder ``src`` whose merges.txt keeps its first 60% (optionally to a line end)."""
    shutil.copytree(src, dst)
    data = (dst / "merges.txt").read_bytes()
    cut = len(data) * 3 // 5
    if at_line_end:
        cut = data.rindex(b"\n", 0, cut) + 1
    (dst / "merges.txt").write_bytes(data[:cut])
    return dst


@pytest.mark.parametrize("at_line_end", [False, True], ids=["mid-line", "line-end"])
def test_encode_refuses_merges_cut_short(
    roberta_dir: Path, sample_data: Path, tmp_path: Path, at_line_end: bool
) -> None:
    tok = cut_merges(roberta_dir, tmp_path / "tok", at_line_end=at_line_end)
    with pytest.raises(DamagedTokenizer):
        Tokenizer.from_dir(tok)
    out = tmp_path / "shards"
    cmd = [
        sys.executable, "-m", "tokenizer.cli", "encode", "--tokenizer", str(tok),
        "--input", str(sample_data / "english_text" / "inaugural.zip"), "--output", str(out), "--quiet",
    ]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    err = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode == 2 and len(err) == 1, done.stderr[-3000:]
    assert err[0].startswith(f"error: {tok / 'merges.txt'}") and "cut short" in err[0], err[0]
    assert not out.exists() or not any(out.rglob("*")), "nothing written"


def test_whole_tokenizers_still_load(roberta_dir: Path, classic_dir: Path) -> None:
    """RoBERTa's four added tokens (``<|endoftext|>``, ``madeupword000N``) come from no merge and are fine."""
    assert Tokenizer.from_dir(roberta_dir).sha256 == Tokenizer.from_dir(classic_dir).sha256
