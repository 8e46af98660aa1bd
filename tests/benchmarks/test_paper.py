"""``bench paper``: row specs (equal passes in Table 3, matched tokens for SENTENCE-PAIR), the Table 4 data
subset, and small end-to-end runs of Tables 1 and 3 through the real trainer and GLUE finetuning."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

import numpy as np
import pytest
from benchmarks.cli import main
from benchmarks.errors import BenchError
from benchmarks.paper import SCALES, TABLES, Scale, run_paper, subset_corpus
from tokenizer import open_shards, read_manifest

sys.path.insert(0, str(Path(__file__).parents[1] / "trainer"))
from make_shards import make_shards  # noqa: E402

MICRO = Scale(
    name="micro",
    preset="tiny",
    model={"hidden": 32, "heads": 2, "layers": 1, "ffn": 64, "max_positions": 66},
    seq_len=64,
    batch_size=4,
    micro_batch=4,
    steps=8,
    warmup_frac=0.25,
    lr=1e-3,
    eval_every=4,
    valid_blocks=16,
    tasks=("sst2", "mnli"),
    ft_batch=16,
    ft_lr=1e-3,
    ft_epochs=1,
    ft_seeds=1,
    ft_seq_len=32,
    ft_train=32,
    ft_dev=32,
    seeds=1,
)
FAST = {"run.threads": 1, "run.progress": False}


@pytest.fixture(scope="module")
def corpus(sample_data: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return make_shards(tmp_path_factory.mktemp("paper"), sample_data, docs=400, vocab=1024, shard_docs=150)


def test_table3_rows_have_equal_passes_and_paper_lrs() -> None:
    for scale in SCALES.values():
        rows = TABLES["3"].rows
        seqs = [r.batch(scale) * r.steps(scale) for r in rows]
        assert max(seqs) / min(seqs) < 1.05, f"{scale.name}: equal passes over the data {seqs}"
        assert [r.overrides(scale)["optim.lr"] for r in rows] == [1e-4, 7e-4, 1e-3]
    base = SCALES["base"]
    got = [(r.batch(base), r.steps(base)) for r in TABLES["3"].rows]
    assert got == [(256, 1_000_000), (2048, 125_000), (8192, 31_250)], "the paper's 256/2K/8K settings"


def test_table4_subset_takes_a_fraction_of_documents(corpus: tuple[Path, Path], tmp_path: Path) -> None:
    shards, _ = corpus
    sub = subset_corpus(shards, tmp_path / "sub", 0.25)
    full_docs = read_manifest(shards)["totals"]["train"]["n_docs"]
    m = read_manifest(sub)
    assert m["totals"]["train"]["n_docs"] == int(np.ceil(0.25 * full_docs))
    assert m["splits"]["valid"] == read_manifest(shards)["splits"]["valid"], "same held-out text"
    first = open_shards(shards, "train")[0]
    got = open_shards(sub, "train", verify=True)[0]
    n = int(got.docs[-1])
    assert np.array_equal(np.asarray(got.tokens), np.asarray(first.tokens[:n])), "a prefix of the documents"
    assert np.array_equal(np.asarray(got.sents), np.asarray(first.sents[first.sents <= n]))
    assert (
        subset_corpus(shards, tmp_path / "sub", 0.25) == sub
        and subset_corpus(shards, tmp_path, 1.0) == shards
    )


def test_table1_end_to_end_and_resumable(
    corpus: tuple[Path, Path], sample_data: Path, tmp_path: Path
) -> None:
    shards, tok = corpus
    logs: list[str] = []
    path = run_paper(
        "1",
        MICRO,
        corpus=shards,
        tokenizer=tok,
        out=tmp_path,
        glue=sample_data / "glue",
        extra=FAST,
        log=logs.append,
        seeds=2,
    )
    table = json.loads(path.read_text())
    static, dynamic = table["rows"]
    assert static["static_dupes"] == 10 and dynamic["static_dupes"] == 0
    for row in table["rows"]:
        assert row["steps"] == 8 and len(row["curve"]) == 8 and row["valid_ppl"] > 1
        per_seed = [s["scores"]["sst2"]["score"] for s in row["seeds"]]
        assert [s["seed"] for s in row["seeds"]] == [1, 2] and row["scores"]["sst2"]["per_seed"] == per_seed
        assert row["scores"]["sst2"]["score"] == pytest.approx(sum(per_seed) / 2)
        assert row["valid_ppl"] == pytest.approx(sum(s["valid_ppl"] for s in row["seeds"]) / 2)
    (c_sst2,) = [c for c in table["comparisons"] if c["measure"] == "sst2"]
    diffs = [
        d["scores"]["sst2"]["score"] - s["scores"]["sst2"]["score"]
        for s, d in zip(*(r["seeds"] for r in table["rows"]), strict=True)
    ]
    assert c_sst2["diff"] == pytest.approx(sum(diffs) / 2) and c_sst2["n"] == 2
    assert any(line.startswith("estimated cost of table 1 at micro: 4 pretraining runs") for line in logs)
    assert any("mnli: skipped" in line for line in logs), "a task without training data is skipped"
    md = path.with_suffix(".md").read_text()
    assert (
        "| static |" in md
        and "92.5" in md
        and " ± " in md
        and "| dynamic vs static | SST-2 |" in md
        and "ours: SST-2" in md
        and "reference (BERT-base)" in md
    )
    assert path.with_suffix(".png").read_bytes()[:4] == b"\x89PNG"
    before = (tmp_path / "runs" / "static" / "seed1" / "metrics.jsonl").read_text()
    run_paper(
        "1",
        MICRO,
        corpus=shards,
        tokenizer=tok,
        out=tmp_path,
        glue=sample_data / "glue",
        extra=FAST,
        log=logs.append,
        seeds=2,
    )
    assert (tmp_path / "runs" / "static" / "seed1" / "metrics.jsonl").read_text() == before, (
        "finished rows are reused"
    )


def test_table3_end_to_end_accumulates(corpus: tuple[Path, Path], tmp_path: Path) -> None:
    shards, tok = corpus
    scale = dataclasses.replace(MICRO, steps=32)
    path = run_paper("3", scale, corpus=shards, tokenizer=tok, out=tmp_path, extra=FAST)
    rows = json.loads(path.read_text())["rows"]
    assert [(r["batch_size"], r["steps"]) for r in rows] == [(4, 32), (32, 4), (128, 1)]
    tokens = [r["tokens_seen"] for r in rows]
    assert max(tokens) / min(tokens) < 1.1, f"equal compute: {tokens}"
    cfg = json.loads((tmp_path / "runs" / "bsz8k" / "seed1" / "config.json").read_text())
    assert cfg["optim"]["micro_batch"] == 4, "the 128-sequence batch runs as 32 accumulated micro-batches"


def test_sentence_pair_batch_is_matched(corpus: tuple[Path, Path]) -> None:
    from benchmarks.paper.run import matched_batch

    shards, _ = corpus
    row = TABLES["2"].rows[1]
    scale = dataclasses.replace(
        MICRO, seq_len=128, batch_size=16, micro_batch=4, model={**MICRO.model, "max_positions": 130}
    )
    assert row.match_tokens and matched_batch(row, scale, shards) > 16


def test_cli_errors(corpus: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    shards, tok = corpus

    def paper(table: str, corpus_dir: Path, *extra: str) -> int:
        args = [
            "--table",
            table,
            "--corpus",
            str(corpus_dir),
            "--tokenizer",
            str(tok),
            "--out",
            str(tmp_path),
        ]
        return main(["paper", *args, *extra])

    assert paper("7", shards) == 2
    assert "unknown --table '7'" in capsys.readouterr().err
    assert paper("1", tmp_path / "nope") == 2
    assert "does not exist" in capsys.readouterr().err
    assert paper("1", shards, "--bogus") == 2
    assert "unrecognized argument" in capsys.readouterr().err


@pytest.mark.slow
def test_encodings_table_trains_both_tokenizers(sample_data: Path, tmp_path: Path) -> None:
    scale = dataclasses.replace(MICRO, enc_vocab=(600, 360), enc_valid=0.2, tasks=("sst2",))
    text = [str(sample_data / "english_text" / "inaugural.zip")]
    path = run_paper("enc", scale, text=text, out=tmp_path, glue=sample_data / "glue", extra=FAST)
    rows = {r["key"]: r for r in json.loads(path.read_text())["rows"]}
    assert (rows["byte-bpe"]["vocab"], rows["char-bpe"]["vocab"]) == (600, 360)
    for kind, row in rows.items():
        assert read_manifest(tmp_path / "enc" / kind / "shards")["vocab_size"] == row["vocab"]
        assert 0 <= row["scores"]["sst2"]["score"] <= 100
    # the same documents are held out under both encodings
    valid = [read_manifest(tmp_path / "enc" / k / "shards")["totals"]["valid"]["n_docs"] for k in rows]
    assert valid[0] == valid[1] > 0
    assert "char-level BPE (30K, BERT)" in path.with_suffix(".md").read_text()


def test_encodings_table_needs_text(tmp_path: Path) -> None:
    with pytest.raises(BenchError, match="--text"):
        run_paper("enc", MICRO, out=tmp_path)


def test_finished_run_with_other_settings_is_refused(corpus: tuple[Path, Path], tmp_path: Path) -> None:
    shards, tok = corpus
    scale = dataclasses.replace(MICRO, steps=2, eval_every=1)
    run_paper("3", scale, corpus=shards, tokenizer=tok, out=tmp_path, extra=FAST)
    with pytest.raises(BenchError, match="other settings"):
        run_paper(
            "3",
            dataclasses.replace(scale, lr=5e-4, steps=4),
            corpus=shards,
            tokenizer=tok,
            out=tmp_path,
            extra=FAST,
        )
