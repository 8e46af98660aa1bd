"""``bench glue --checkpoint`` runs no code from the checkpoint: a pickle payload (it creates a marker file
when unpickled) in a native ``state.pt`` or an HF ``pytorch_model.bin`` is refused with one line, exit 2."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch
from benchmarks.cli import main


class Payload:
    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self) -> tuple:
        return (open, (self.marker, "w"))


def bench_glue(ckpt: Path, sample_data: Path, out: Path, capsys: pytest.CaptureFixture[str]) -> str:
    argv = ["glue", "--checkpoint", str(ckpt), "--tasks", "rte", "--data", str(sample_data / "glue")]
    assert main([*argv, "--out", str(out), "--quick"]) == 2
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(err) == 1 and err[0].startswith("error: "), err
    assert not out.exists() or not list(out.glob("*.json")), "nothing scored"
    return err[0]


def test_native_state_pt_payload_refused(
    sample_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "run" / "checkpoints" / "step_00000003"
    folder.mkdir(parents=True)
    torch.save({"model": Payload(tmp_path / "marker")}, folder / "state.pt")
    meta = {"format": "roberta-trainer-checkpoint", "version": 1, "step": 3, "model": {}}
    (folder / "meta.json").write_text(json.dumps(meta))
    for ckpt in (folder, tmp_path / "run"):
        assert "--trust-checkpoint" in bench_glue(ckpt, sample_data, tmp_path / "out", capsys)
    assert not (tmp_path / "marker").exists()


@pytest.fixture
def evil_hf(tiny_hf: Path, tmp_path: Path) -> Path:
    """The tiny HF folder with its safetensors weights replaced by a payload ``pytorch_model.bin``."""
    hf = tmp_path / "evil"
    shutil.copytree(tiny_hf, hf)
    (hf / "model.safetensors").unlink()
    torch.save(
        {"roberta.embeddings.word_embeddings.weight": Payload(tmp_path / "marker")}, hf / "pytorch_model.bin"
    )
    return hf


def test_hf_bin_payload_refused(
    evil_hf: Path, sample_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    line = bench_glue(evil_hf, sample_data, tmp_path / "out", capsys)
    assert "pytorch_model.bin: not a plain-tensor file" in line
    assert not (tmp_path / "marker").exists()


def test_transformers_itself_loads_bin_weights_only(evil_hf: Path, tmp_path: Path) -> None:
    """The second line of defence, kept so: transformers refuses the payload too (weights_only=True)."""
    from transformers import AutoModelForSequenceClassification

    with pytest.raises(Exception):  # noqa: B017 (the type varies by transformers version)
        AutoModelForSequenceClassification.from_pretrained(evil_hf, num_labels=2)
    assert not (tmp_path / "marker").exists()
