"""``bench glue --quick`` on a tiny checkpoint trained by the trainer (native format, exported on the fly)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from benchmarks.cli import main
from benchmarks.results import read_result


def _tokenizer(out: Path, texts: list[str], vocab: int) -> object:
    """A byte-level BPE trained on ``texts`` with RoBERTa's specials (``<mask>`` last), in the §2 layout."""
    from tokenizers import ByteLevelBPETokenizer

    out.mkdir(parents=True)
    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(
        texts,
        vocab_size=vocab - 1,
        min_frequency=2,
        special_tokens=["<s>", "<pad>", "</s>", "<unk>"],
        show_progress=False,
    )
    bpe.add_special_tokens(["<mask>"])
    bpe.save_model(str(out))
    bpe.save(str(out / "tokenizer.json"))
    return bpe


@pytest.fixture(scope="module")
def native_run(sample_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Pretrain a tiny model for a few steps on real SST-2 sentences; return the trainer's run folder."""
    from tokenizer import write_manifest, write_token_shard
    from trainer import apply_overrides, preset, train

    root = tmp_path_factory.mktemp("native")
    lines = (sample_data / "glue" / "SST-2" / "train.tsv").read_text(encoding="utf-8").splitlines()[1:3001]
    texts = [line.split("\t")[0].strip() for line in lines]
    bpe = _tokenizer(root / "tok", texts, vocab=1024)
    vocab = bpe.get_vocab_size(with_added_tokens=True)
    docs = [
        [np.asarray(e.ids) for e in bpe.encode_batch(texts[i : i + 20])] for i in range(0, len(texts), 20)
    ]
    splits = {
        "valid": [write_token_shard(root / "shards", "valid-00000", docs[:10], vocab)],
        "train": [write_token_shard(root / "shards", "train-00000", docs[10:], vocab)],
    }
    write_manifest(root / "shards", vocab_size=vocab, splits=splits)
    overrides = {
        "data.data": root / "shards",
        "data.tokenizer": root / "tok",
        "run.out": root / "run",
        "data.seq_len": 64,
        "model.max_positions": 66,
        "model.hidden": 32,
        "model.ffn": 64,
        "optim.batch_size": 8,
        "optim.micro_batch": 8,
        "optim.max_steps": 4,
        "optim.warmup_steps": 1,
        "run.eval_every": 4,
        "run.save_every": 4,
        "run.progress": False,
        "data.valid_blocks": 8,
        "run.device": "cpu",
        "run.threads": 1,
    }
    train(apply_overrides(preset("tiny"), [f"--{k}={v}" for k, v in overrides.items()]))
    return root / "run"


def test_quick_glue_on_a_trainer_checkpoint(native_run, sample_data, tmp_path):
    steps = sorted((native_run / "checkpoints").glob("step_*"))
    assert steps and (steps[-1] / "meta.json").is_file()
    for ckpt in (native_run, steps[-1]):  # a run folder (latest step) or one step folder
        out = tmp_path / ckpt.name
        assert (
            main(
                [
                    "glue",
                    "--checkpoint",
                    str(ckpt),
                    "--tasks",
                    "rte,stsb",
                    "--data",
                    str(sample_data / "glue"),
                    "--out",
                    str(out),
                    "--quick",
                ]
            )
            == 0
        )
        for task in ("rte", "stsb"):
            r = read_result(out / f"{task}.json")
            assert r.checkpoint == str(ckpt) and len(r.per_seed) == 1
    # resuming from a native checkpoint reuses the finished cells although each run exports to a new temp dir
    cells = sorted((tmp_path / steps[-1].name / "cells").rglob("*.json"))
    assert (
        main(
            [
                "glue",
                "--checkpoint",
                str(steps[-1]),
                "--tasks",
                "rte,stsb",
                "--data",
                str(sample_data / "glue"),
                "--out",
                str(tmp_path / steps[-1].name),
                "--quick",
            ]
        )
        == 0
    )
    assert sorted((tmp_path / steps[-1].name / "cells").rglob("*.json")) == cells


def test_every_task_model_starts_from_the_pretrained_encoder(tiny_hf):
    """GLUE, SQuAD and RACE models must load the checkpoint's encoder, not a silent random init."""
    import torch
    from benchmarks.tasks.glue import _classifier
    from benchmarks.tasks.squad import SpanModel
    from transformers import AutoModelForMultipleChoice, RobertaForMaskedLM

    ref = dict(RobertaForMaskedLM.from_pretrained(tiny_hf).roberta.named_parameters())
    models = [
        _classifier(tiny_hf, "stsb", replace_head=False),
        SpanModel(tiny_hf, answerability=True),
        AutoModelForMultipleChoice.from_pretrained(tiny_hf),
    ]
    for model in models:
        params = dict(model.roberta.named_parameters())
        assert set(ref) <= set(params)
        assert all(torch.equal(ref[k], params[k]) for k in ref)
