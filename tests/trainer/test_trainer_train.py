"""Training: exact resume, real 2-process DDP (gloo) == 1 process with 2x accumulation, logs and plot, and the\nHF export of the trained checkpoint, on every attention path and compiled (slow)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from trainer import apply_overrides, load_checkpoint, plot_run, preset, train
from trainer.checkpoint import list_checkpoints
from trainer.config import ModelConfig
from trainer.errors import TrainerError
from trainer.export import export_hf
from trainer.model import Roberta, attention_mask, pack_batch
from trainer_kit import tiny_overrides


def run(shards_tok: tuple[Path, Path], out: Path, **extra: object):
    shards, tok = shards_tok
    return train(apply_overrides(preset("tiny"), tiny_overrides(shards, tok, out, **extra)))


PATHS = [
    pytest.param({"run.attention": "masked"}, id="masked"),
    pytest.param({"run.attention": "jagged"}, id="jagged"),
    # CPU inductor compiles take minutes on a loaded 2-core machine: slow only
    pytest.param({"run.compile": True, "run.attention": "masked"}, id="compiled", marks=pytest.mark.slow),
    pytest.param(
        {"run.compile": True, "run.attention": "jagged"}, id="compiled-jagged", marks=pytest.mark.slow
    ),
]


@pytest.mark.parametrize("path", PATHS)
def test_stop_and_resume_equals_straight_run(
    reuters_shards: tuple[Path, Path], tmp_path: Path, path: dict
) -> None:
    straight = run(reuters_shards, tmp_path / "a", **path)
    first = run(reuters_shards, tmp_path / "b", **{"run.stop_at": 3, **path})
    assert first.step == 3 and list(first.losses) == [1, 2, 3]
    resumed = run(reuters_shards, tmp_path / "b", **{"run.resume": True, **path})
    assert resumed.step == 6
    assert {**first.losses, **resumed.losses} == straight.losses  # bit-exact, step for step (dropout on)
    assert resumed.valid[6] == straight.valid[6]
    a, b = load_checkpoint(tmp_path / "a"), load_checkpoint(tmp_path / "b")
    for k, v in a.state["model"].items():
        assert torch.equal(v, b.state["model"][k]), k
    # logs, resolved config and plot
    recs = [json.loads(x) for x in (tmp_path / "b" / "metrics.jsonl").read_text().splitlines()]
    assert {"loss", "ppl", "lr", "grad_norm", "tokens_per_s"} <= set(recs[0])
    cfg = json.loads((tmp_path / "b" / "config.json").read_text())
    assert cfg["model"]["vocab_size"] == 2048 and cfg["preset"] == "tiny"
    assert plot_run(tmp_path / "b").stat().st_size > 10_000
    assert [p.name for p in list_checkpoints(tmp_path / "b")] == ["step_00000003", "step_00000006"]
    assert_export_matches_transformers(tmp_path / "a", tmp_path / "hf")


def assert_export_matches_transformers(run_dir: Path, out: Path) -> None:
    """The run's checkpoint exported for Hugging Face: ``RobertaForMaskedLM`` logits equal ours on the real
    positions of a padded batch, through both attention paths."""
    from transformers import RobertaForMaskedLM

    ckpt = load_checkpoint(run_dir)
    ours = Roberta(ModelConfig(**ckpt.meta["model"])).eval()
    ours.load_state_dict(ckpt.state["model"])
    hf = RobertaForMaskedLM.from_pretrained(export_hf(run_dir, out)).eval()
    ids = np.random.default_rng(0).integers(4, ours.cfg.vocab_size, (3, 40))
    ids[:, 0], ids[1, 25:], ids[2, 7:] = 0, 1, 1
    x = torch.from_numpy(ids)
    keep = x.ne(1)
    with torch.no_grad():
        theirs = hf(input_ids=x, attention_mask=keep.long()).logits[keep]
        masked = ours(x, attn_mask=attention_mask(x, 1))[keep]
        packing = pack_batch(ids, 1, torch.device("cpu"))
        jagged = ours.lm_head(ours.encode(x, packing=packing), ours.embeddings.word_embeddings.weight)
    assert (masked - theirs).abs().max() < 1e-4
    assert (jagged - theirs).abs().max() < 1e-4


def test_keep_last_and_refuse_overwrite(reuters_shards: tuple[Path, Path], tmp_path: Path) -> None:
    run(reuters_shards, tmp_path / "r", **{"run.save_every": 1, "run.keep_last": 2, "optim.max_steps": 4})
    assert [p.name for p in list_checkpoints(tmp_path / "r")] == ["step_00000003", "step_00000004"]
    with pytest.raises(TrainerError, match="already has checkpoints"):
        run(reuters_shards, tmp_path / "r")
    with pytest.raises(TrainerError, match="data order settings changed"):
        run(reuters_shards, tmp_path / "r", **{"run.resume": True, "optim.batch_size": 16})


@pytest.mark.parametrize("path", PATHS)
def test_ddp_two_processes_equals_accumulation(
    reuters_shards: tuple[Path, Path], tmp_path: Path, path: dict
) -> None:
    """Real torchrun with 2 gloo ranks (micro 4, accum 1) vs 1 process (micro 4, accum 2), dropout off."""
    shards, tok = reuters_shards
    extra = {
        **path,
        "model.dropout": 0.0,
        "model.attn_dropout": 0.0,
        "optim.max_steps": 4,
        "run.eval_every": 4,
        "run.save_every": 4,
        "optim.clip": 1.0,
    }
    single = run(reuters_shards, tmp_path / "one", **extra)
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc-per-node=2",
        "-m",
        "trainer",
        "--preset",
        "tiny",
        *tiny_overrides(shards, tok, tmp_path / "two", **extra),
    ]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    recs = [json.loads(x) for x in (tmp_path / "two" / "metrics.jsonl").read_text().splitlines()]
    losses = {r["step"]: r["loss"] for r in recs if r["kind"] == "train"}
    valid = {r["step"]: r["loss"] for r in recs if r["kind"] == "valid"}
    assert losses.keys() == single.losses.keys()
    for step, loss in single.losses.items():
        assert abs(losses[step] - loss) < 1e-5, (step, losses[step], loss)
    assert abs(valid[4] - single.valid[4]) < 1e-5
    a, b = load_checkpoint(tmp_path / "one"), load_checkpoint(tmp_path / "two")
    assert len(b.state["rng"]) == 2 and b.meta["world_size"] == 2
    for k, v in a.state["model"].items():
        assert torch.allclose(v, b.state["model"][k], atol=1e-5), k
