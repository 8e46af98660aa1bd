"""The trainer given shards it must not train on, through the real ``python -m trainer``: shards encoded with
another tokenizer than ``--tokenizer``, a shard file swapped in from another tokenizer's encode, and a
tokenizer whose ``merges.txt`` is cut short. Each is one ``error:`` line, exit 2, and no run folder."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from tokenizer.cli import main as tok_main
from tokenizer.encode.job import EncodeConfig, run_encode
from tokenizer.gpt2 import build_roberta_dir
from trainer_kit import tiny_overrides


@pytest.fixture(scope="module")
def tokenizers(sample_data: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """RoBERTa's tokenizer ``a``; ``b``: the same vocabulary with two merges swapped (another tokenizer of the
    same size); ``c``: a BPE trained on the text; and the shards of one text encoded with each (the same unit
    layout, so the same file names)."""
    root = tmp_path_factory.mktemp("two_tok")
    a, b = root / "a", root / "b"
    build_roberta_dir(sample_data / "bpe_gpt2_roberta", a)
    shutil.copytree(a, b)
    (b / "tokenizer.json").unlink()  # b is a classic vocab.json + merges.txt folder
    lines = (b / "merges.txt").read_text(encoding="utf-8").split("\n")
    lines[1], lines[2] = lines[2], lines[1]  # the two highest-priority merges
    (b / "merges.txt").write_text("\n".join(lines), encoding="utf-8")
    text = str(sample_data / "english_text" / "inaugural.zip")
    c = root / "c"
    assert tok_main(["train", "--input", text, "--vocab-size", "3000", "--output", str(c)]) == 0
    for tok in (a, b, c):
        cfg = EncodeConfig(
            tokenizer=str(tok), inputs=(text,), output=str(root / f"shards_{tok.name}"), workers=1
        )
        run_encode(cfg, progress=False)
    return {"a": a, "b": b, "c": c, **{f"shards_{t}": root / f"shards_{t}" for t in "abc"}}


def train(shards: Path, tok: Path, out: Path) -> str:
    """Run ``python -m trainer`` on them; return its one error line (after checking exit 2, no run folder)."""
    cmd = [sys.executable, "-m", "trainer", "--preset", "tiny", *tiny_overrides(shards, tok, out)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    err = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode == 2, (done.returncode, done.stderr[-3000:])
    assert len(err) == 1 and err[0].startswith("error: "), err
    assert not out.exists(), "nothing written"
    return err[0]


@pytest.mark.parametrize("other", ["b", "c"])
def test_shards_of_another_tokenizer(tokenizers: dict[str, Path], tmp_path: Path, other: str) -> None:
    line = train(tokenizers["shards_a"], tokenizers[other], tmp_path / "run")
    assert line.startswith(f"error: tokenizer/shard mismatch: {tokenizers[other]} hashes to "), line


def test_a_shard_file_from_another_tokenizer(tokenizers: dict[str, Path], tmp_path: Path) -> None:
    shards = tmp_path / "shards"
    shutil.copytree(tokenizers["shards_a"], shards)
    name = "train-00000.tokens.npy"
    assert (shards / name).read_bytes() != (tokenizers["shards_c"] / name).read_bytes()
    shutil.copyfile(tokenizers["shards_c"] / name, shards / name)
    line = train(shards, tokenizers["a"], tmp_path / "run")
    assert line == f"error: checksum mismatch (corrupt or truncated shard): {shards / name}"


def test_tokenizer_with_merges_cut_short(tokenizers: dict[str, Path], tmp_path: Path) -> None:
    tok = tmp_path / "tok"
    shutil.copytree(tokenizers["a"], tok)
    data = (tok / "merges.txt").read_bytes()
    (tok / "merges.txt").write_bytes(data[: data.rindex(b"\n", 0, len(data) // 2) + 1])  # whole lines only
    line = train(tokenizers["shards_a"], tok, tmp_path / "run")
    assert line.startswith(f"error: {tok / 'merges.txt'} is cut short: its "), line
