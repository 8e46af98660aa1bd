"""``bench glue``: quick runs on every task with local data, resume, a learning sanity check, and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from benchmarks.cli import main
from benchmarks.results import read_result
from benchmarks.tasks import glue as glue_mod
from benchmarks.tasks.glue_data import TASKS, load_glue, read_tsv

WITH_DATA = ["cola", "sst2", "mrpc", "stsb", "rte", "wnli"]  # QQP, MNLI and QNLI train are not in sample data


def test_local_glue_layout_is_read_with_hub_label_ids(sample_data):
    root = sample_data / "glue"
    rte = load_glue("rte", root)
    assert len(rte.train) == 2490 and len(rte.dev["dev"]) == 277
    assert rte.dev["dev"][0].label == 1.0  # not_entailment -> 1, as nyu-mll/glue numbers it
    cola = load_glue("cola", root)
    assert len(cola.train) == 8551 and cola.train[0].text_b is None and cola.train[0].label in (0.0, 1.0)
    stsb = load_glue("stsb", root)
    assert len(stsb.dev["dev"]) == 1500 and stsb.dev["dev"][0].label == 5.0
    mrpc = load_glue("mrpc", root)  # starts with a BOM, label in column "Quality"
    assert len(mrpc.train) == 3668 and len(mrpc.dev["dev"]) == 408  # canonical, rebuilt from the MSR file
    shipped = read_tsv(TASKS["mrpc"], root / "MRPC" / "train.tsv")  # 3,667 rows: one pair lost upstream
    (extra,) = set(mrpc.train) - set(shipped)
    assert extra.text_a.startswith("Officials at Brandeis said") and set(shipped) < set(mrpc.train)


def test_quick_glue_all_tasks_with_data_and_resume(tiny_hf, sample_data, tmp_path, capsys, monkeypatch):
    out = tmp_path / "res"
    argv = [
        "glue",
        "--checkpoint",
        str(tiny_hf),
        "--tasks",
        "all",
        "--data",
        str(sample_data / "glue"),
        "--out",
        str(out),
        "--quick",
    ]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    for task in ("qqp", "mnli", "qnli"):
        assert f"{task}: skipped: no data" in printed
    for task in WITH_DATA:
        r = read_result(out / f"{task}.json")
        assert r.task == task and r.seeds == [1] and len(r.metrics) == 1
        assert set(r.metrics[0]) == {
            "cola": {"mcc"},
            "stsb": {"pearson", "spearman"},
            "mrpc": {"acc", "f1"},
        }.get(task, {"acc"})
        assert -1.0 <= r.median <= 1.0 and r.config["epochs"] == 2 and r.config["chosen"]["batch_size"] == 16
    # A second run finds every cell finished and trains nothing.
    monkeypatch.setattr(glue_mod, "_classifier", lambda *a, **k: pytest.fail("finished cell re-run"))
    before = {t: (out / f"{t}.json").read_text() for t in WITH_DATA}
    assert main(argv) == 0
    assert before == {t: (out / f"{t}.json").read_text() for t in WITH_DATA}


def test_finetuning_learns_a_separable_task(tiny_hf, tmp_path):
    """The loop must fit a trivially separable SST-2-shaped task (catches a broken optimiser/labels/eval)."""
    root = tmp_path / "glue" / "SST-2"
    root.mkdir(parents=True)
    rows = [f"this movie is {w} {n}\t{int(w == 'great')}" for n in range(24) for w in ("great", "awful")]
    for name in ("train.tsv", "dev.tsv"):
        (root / name).write_text("sentence\tlabel\n" + "\n".join(rows) + "\n")
    (res,) = glue_mod.run_glue(tiny_hf, ["sst2"], tmp_path / "glue", tmp_path / "out", recipe=_fast_recipe())
    assert res.median == 1.0
    assert len(res.config["sweep_medians"]) == 1


def _fast_recipe():
    from benchmarks.sweep import Recipe

    return Recipe(batch_sizes=(8,), lrs=(3e-3,), seeds=(1,), epochs=10, max_seq_len=32)


def test_missing_task_data_is_one_line(tiny_hf, sample_data, tmp_path, capsys):
    argv = [
        "glue",
        "--checkpoint",
        str(tiny_hf),
        "--tasks",
        "qnli",
        "--data",
        str(sample_data / "glue"),
        "--out",
        str(tmp_path),
        "--quick",
    ]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: qnli: no data:") and "QNLI/train.tsv" in err and "\n" not in err


def rte_from_hub(checkpoint: Path, out: Path) -> int:
    """``bench glue --tasks rte --data hub --quick`` through the CLI entry point; returns the exit code."""
    flags = ["--tasks", "rte", "--data", "hub", "--quick"]
    return main(["glue", "--checkpoint", str(checkpoint), "--out", str(out), *flags])


def test_bad_checkpoints_are_one_line(make_tiny, tmp_path, capsys):
    bert = tmp_path / "bert"
    bert.mkdir()
    (bert / "config.json").write_text(json.dumps({"model_type": "bert", "vocab_size": 30522}))
    small = make_tiny(tmp_path / "small", vocab_size=1000, layers=1)
    cases = {
        tmp_path / "nothing": "does not exist",
        bert: "not RoBERTa-shaped: model_type is 'bert'",
        tmp_path: "not RoBERTa-shaped: no config.json",
        small: "tokenizer/model mismatch",
    }
    capsys.readouterr()
    for ckpt, message in cases.items():
        code = rte_from_hub(ckpt, tmp_path / "o")
        err = capsys.readouterr().err.strip()
        assert code == 2 and err.startswith("error: ") and message in err and "\n" not in err, err


def test_hub_offline_without_cache_is_one_line(tiny_hf, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "hf" / "datasets"))
    code = rte_from_hub(tiny_hf, tmp_path / "o")
    err = capsys.readouterr().err.strip()
    assert code == 2 and "nyu-mll/glue" in err and "offline" in err and "\n" not in err, err


def test_unknown_task_and_recipe_key(tiny_hf, tmp_path, capsys):
    assert (
        main(
            ["glue", "--checkpoint", str(tiny_hf), "--tasks", "squad", "--data", "x", "--out", str(tmp_path)]
        )
        == 2
    )
    assert "unknown GLUE task" in capsys.readouterr().err
    assert (
        main(
            [
                "glue",
                "--checkpoint",
                str(tiny_hf),
                "--tasks",
                "rte",
                "--data",
                "x",
                "--out",
                str(tmp_path),
                "--recipe.epoch=2",
            ]
        )
        == 2
    )
    assert "unknown setting" in capsys.readouterr().err


def test_every_task_has_a_layout():
    assert set(TASKS) == set(WITH_DATA) | {"qqp", "mnli", "qnli"}


MNLI_HEAD = [
    "index",
    "promptID",
    "pairID",
    "genre",
    "sentence1_binary_parse",
    "sentence2_binary_parse",
    "sentence1_parse",
    "sentence2_parse",
    "sentence1",
    "sentence2",
]
NLI = ["entailment", "neutral", "contradiction"]


def _write_tsv(path, header, rows):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join("\t".join(map(str, r)) for r in [header, *rows]) + "\n", encoding="utf-8")


def _mnli_qqp_fixture(root):
    """MNLI and QQP files in GLUE's layout (train/dev_matched/dev_mismatched; QQP's six columns)."""

    def pair(i):
        parses = ["(x)", "(y)", "(X x)", "(Y y)"]
        return [i, i, f"{i}e", "fiction", *parses, f"A man sits {i}.", f"He {i}."]

    _write_tsv(
        root / "MNLI" / "train.tsv",
        [*MNLI_HEAD, "label1", "gold_label"],
        [[*pair(i), NLI[i % 3], NLI[i % 3]] for i in range(24)],
    )
    for name in ("dev_matched.tsv", "dev_mismatched.tsv"):
        _write_tsv(
            root / "MNLI" / name,
            [*MNLI_HEAD, *[f"label{k}" for k in range(1, 6)], "gold_label"],
            [[*pair(i), *[NLI[i % 3]] * 5, NLI[i % 3]] for i in range(12)],
        )
    qqp = [
        [i, 2 * i, 2 * i + 1, f"How do I cook {i}?", f"What is a way to cook {i}?", i % 2] for i in range(24)
    ]
    for name in ("train.tsv", "dev.tsv"):
        _write_tsv(root / "QQP" / name, ["id", "qid1", "qid2", "question1", "question2", "is_duplicate"], qqp)


def test_mnli_qqp_layout_and_init_from_mnli(tiny_hf, sample_data, tmp_path):
    root = tmp_path / "glue"
    _mnli_qqp_fixture(root)
    (root / "RTE").symlink_to(sample_data / "glue" / "RTE")
    (root / "CoLA").symlink_to(sample_data / "glue" / "CoLA")
    mnli = load_glue("mnli", root)
    assert set(mnli.dev) == {"m", "mm"} and [e.label for e in mnli.train[:3]] == [0.0, 1.0, 2.0]
    out = tmp_path / "first"
    assert (
        main(
            [
                "glue",
                "--checkpoint",
                str(tiny_hf),
                "--tasks",
                "mnli,qqp",
                "--data",
                str(root),
                "--out",
                str(out),
                "--quick",
                "--save-models",
            ]
        )
        == 0
    )
    m = read_result(out / "mnli.json")
    assert set(m.metrics[0]) == {"acc_m", "acc_mm"} and m.metric == "acc_m"
    assert set(read_result(out / "qqp.json").metrics[0]) == {"acc", "f1"}
    best = m.config["best_model"]
    assert (Path(best) / "config.json").is_file()
    # RTE starts from the MNLI model (its 3-way head replaced by a fresh 2-way one); CoLA does not.
    assert (
        main(
            [
                "glue",
                "--checkpoint",
                str(tiny_hf),
                "--tasks",
                "rte,cola",
                "--data",
                str(root),
                "--out",
                str(tmp_path / "second"),
                "--quick",
                "--init-from",
                str(out),
            ]
        )
        == 0
    )
    assert read_result(tmp_path / "second" / "rte.json").config["init"] == best
    assert read_result(tmp_path / "second" / "cola.json").config["init"] is None
    # the MNLI encoder is kept and the whole head is fresh
    import torch
    from benchmarks.tasks.glue import _classifier
    from transformers import AutoModelForSequenceClassification

    mnli_model = AutoModelForSequenceClassification.from_pretrained(best)
    rte_model = _classifier(Path(best), "rte", replace_head=True)
    assert torch.equal(
        rte_model.roberta.embeddings.word_embeddings.weight,
        mnli_model.roberta.embeddings.word_embeddings.weight,
    )
    assert not torch.equal(rte_model.classifier.dense.weight, mnli_model.classifier.dense.weight)
    assert rte_model.classifier.out_proj.out_features == 2


def test_hub_rows_convert_like_the_tsv_layout(sample_data):
    """nyu-mll/glue columns and integer labels give the same examples as the local TSVs."""
    import datasets
    from benchmarks.tasks.glue_data import glue_from_hub

    local = load_glue("rte", sample_data / "glue")
    rows = lambda exs: datasets.Dataset.from_dict(  # noqa: E731
        {
            "sentence1": [e.text_a for e in exs],
            "sentence2": [e.text_b for e in exs],
            "label": [int(e.label) for e in exs],
            "idx": list(range(len(exs))),
        }
    )
    hub = glue_from_hub(
        "rte",
        datasets.DatasetDict({"train": rows(local.train[:20]), "validation": rows(local.dev["dev"][:10])}),
    )
    assert hub.train == local.train[:20] and hub.dev == {"dev": local.dev["dev"][:10]}


@pytest.mark.gpu
def test_quick_glue_on_cuda(tiny_hf, sample_data, tmp_path):
    import torch

    if not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    (res,) = glue_mod.run_glue(tiny_hf, ["rte"], sample_data / "glue", tmp_path, quick=True)
    assert res.config["device"] == "auto" and len(res.per_seed) == 1
