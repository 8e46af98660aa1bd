"""The paper's variants through the real training loop on real shards: each input format and static masking
trains, NSP is learned and logged, DOC-SENTENCES steps carry a variable number of sequences, and the +NSP
checkpoint keeps its head while exporting a plain RobertaForMaskedLM."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from trainer import train
from trainer.config import apply_overrides, preset
from trainer_kit import tiny_overrides


def run(shards_tok: tuple[Path, Path], out: Path, **extra: object):
    shards, tok = shards_tok
    cfg = apply_overrides(preset("tiny"), tiny_overrides(shards, tok, out, **extra))
    return train(cfg)


def records(out: Path, kind: str = "train") -> list[dict]:
    lines = (out / "metrics.jsonl").read_text().splitlines()
    return [r for r in map(json.loads, lines) if r["kind"] == kind]


@pytest.mark.parametrize("fmt", ["segment-pair", "sentence-pair"])
def test_nsp_formats_train_with_nsp_loss(reuters_shards: tuple[Path, Path], tmp_path: Path, fmt: str) -> None:
    res = run(reuters_shards, tmp_path, **{"data.format": fmt, "data.valid_format": "full-sentences"})
    recs = records(tmp_path)
    assert all(0 < r["nsp_loss"] < 2 for r in recs), "NSP loss is logged (ln 2 ~ 0.69 at chance)"
    assert res.config.model.nsp and res.valid
    from trainer.checkpoint import load_model

    model = load_model(res.checkpoint)
    assert model.nsp_head is not None, "the checkpoint keeps the NSP head"


def test_doc_sentences_dynamic_batch(reuters_shards: tuple[Path, Path], tmp_path: Path) -> None:
    run(reuters_shards, tmp_path, **{"data.format": "doc-sentences", "optim.max_steps": 8})
    seqs = [r["seqs"] for r in records(tmp_path)]
    assert len(set(seqs)) > 1, f"sequence counts per step vary: {seqs}"
    assert sum(seqs) / len(seqs) > 8, f"short document-end blocks raise the mean count above 8: {seqs}"


def test_static_masking_trains(reuters_shards: tuple[Path, Path], tmp_path: Path) -> None:
    res = run(reuters_shards, tmp_path, **{"data.static_dupes": 10})
    epochs = [r["epoch"] for r in records(tmp_path)]
    assert epochs[-1] > 0 and res.valid
    full = run(reuters_shards, tmp_path / "dyn")
    # the duplicated data set is 10x longer, so the same steps cover a tenth of an epoch
    assert records(tmp_path / "dyn")[-1]["epoch"] == pytest.approx(10 * epochs[-1])
    assert full.losses.keys() == res.losses.keys()
