"""CLI: user mistakes give one ``error: ...`` line and exit 2; export and plot commands work end to end."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from trainer.cli import main
from trainer_kit import tiny_overrides


def error_line(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: "), err
    return err[0]


def test_errors(
    reuters_shards: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shards, tok = reuters_shards
    ok = tiny_overrides(shards, tok, tmp_path / "run")
    assert "unknown preset 'huge'" in error_line(capsys, ["--preset", "huge", *ok])
    assert "not divisible" in error_line(capsys, ["--preset", "tiny", *ok, "--optim.batch_size=6"])
    assert "no manifest.json" in error_line(capsys, ["--preset", "tiny", *ok, "--data.data=" + str(tmp_path)])
    assert "unknown setting" in error_line(capsys, ["--preset", "tiny", *ok, "--optim.betas=1"])
    assert "expected int" in error_line(capsys, ["--preset", "tiny", *ok, "--optim.max_steps=ten"])
    # a tokenizer of another vocabulary
    other = tmp_path / "tok"
    other.mkdir()
    (other / "vocab.json").write_text(json.dumps({"<s>": 0, "a": 1, "<mask>": 99}))
    assert "vocabulary mismatch" in error_line(
        capsys, ["--preset", "tiny", *ok, "--data.tokenizer=" + str(other)]
    )
    # a corrupt shard (same size, one byte flipped) is caught by its checksum
    bad = tmp_path / "bad"
    shutil.copytree(shards, bad)
    f = bad / "train-00000.tokens.npy"
    data = bytearray(f.read_bytes())
    data[-1] ^= 1
    f.write_bytes(bytes(data))
    assert "checksum mismatch" in error_line(capsys, ["--preset", "tiny", *ok, "--data.data=" + str(bad)])
    (bad / "train-00001.docs.npy").unlink()
    msg = error_line(capsys, ["--preset", "tiny", *ok, "--data.data=" + str(bad), "--data.verify=false"])
    assert "missing shard file" in msg
    assert "no checkpoint" in error_line(
        capsys, ["export", "--checkpoint", str(tmp_path), "--out", str(tmp_path)]
    )


def test_help_is_fast_and_has_no_torch() -> None:
    code = "import sys; from trainer.cli import train_parser; train_parser(); print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_export_and_plot_commands(reuters_shards: tuple[Path, Path], tmp_path: Path) -> None:
    shards, tok = reuters_shards
    run = tmp_path / "run"
    assert main(["--preset", "tiny", *tiny_overrides(shards, tok, run, **{"optim.max_steps": 3})]) == 0
    assert main(["export", "--checkpoint", str(run), "--out", str(tmp_path / "hf")]) == 0
    names = {p.name for p in (tmp_path / "hf").iterdir()}
    assert {"config.json", "model.safetensors", "vocab.json", "merges.txt", "tokenizer.json"} <= names
    assert main(["plot", str(run)]) == 0
    assert (run / "curves.png").stat().st_size > 10_000
    # start a new run from the exported HF folder: its first loss (before any update, same data and mask
    # as the first step of the run above) is lower than the random init's
    init = tmp_path / "init"
    extra = {"optim.max_steps": 1, "run.save_every": 1}
    assert (
        main(
            [
                "--preset",
                "tiny",
                *tiny_overrides(shards, tok, init, **extra),
                "--init-from",
                str(tmp_path / "hf"),
            ]
        )
        == 0
    )
    first = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines()][0]
    warm = [json.loads(x) for x in (init / "metrics.jsonl").read_text().splitlines()][0]
    assert first["step"] == warm["step"] == 1
    assert warm["loss"] < first["loss"] - 0.05
