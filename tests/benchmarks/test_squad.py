"""SQuAD: the official EM/F1 logic on hand-computed cases and the real dev files, windows, decoding, a quick run."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from benchmarks.cli import main
from benchmarks.results import read_result
from benchmarks.sweep import squad_recipe
from benchmarks.tasks.squad_data import build_features, decode_predictions, examples_of, read_squad_json
from benchmarks.tasks.squad_eval import f1_v1, f1_v2, normalize_answer, squad_v1_scores, squad_v2_scores


def _data(*qas):
    return [
        {
            "paragraphs": [
                {
                    "context": "ctx",
                    "qas": [
                        {"id": qid, "answers": [{"text": t, "answer_start": 0} for t in golds]}
                        for qid, golds in qas
                    ],
                }
            ]
        }
    ]


def test_normalisation_and_token_f1_by_hand():
    assert normalize_answer("The  Cat, sat!") == "cat sat"
    # an em dash is not ASCII punctuation, so it stays, and "a" after it is still a whole word
    assert normalize_answer("an apple—a day") == "apple— day"
    # pred {cat, sat} vs gold {cat, sat, on, mat}: P=1, R=1/2 -> F1 = 2/3
    assert f1_v1("the Cat sat.", "cat sat on the mat") == pytest.approx(2 / 3)
    # repeated tokens count with multiplicity: pred {a1: x x y} gold {x y y}: common x1 y1 = 2 -> P=R=2/3
    assert f1_v1("x x y", "x y y") == pytest.approx(2 / 3)
    assert f1_v1("", "") == 0.0 and f1_v2("", "") == 1.0 and f1_v2("the", "") == 1.0  # "the" normalises to ""
    assert f1_v2("cat", "") == 0.0


def test_v1_scores_by_hand():
    data = _data(("q1", ["Denver Broncos", "The Denver Broncos"]), ("q2", ["1,000 miles"]), ("q3", ["x"]))
    preds = {"q1": "the denver broncos!", "q2": "about 1000 miles"}  # q3 missing -> counted as 0
    s = squad_v1_scores(data, preds)
    # q1: EM 1, F1 1. q2: "1000 miles" vs "about 1000 miles" -> P=2/3 R=1 F1=0.8, EM 0. q3: 0.
    assert s["exact_match"] == pytest.approx(100 / 3)
    assert s["f1"] == pytest.approx(100 * (1 + 0.8) / 3)


def test_v2_scores_by_hand():
    data = _data(("a", ["Paris"]), ("b", []), ("c", []), ("d", ["in 1990", "1990"]), ("e", ["y"]))
    preds = {"a": "paris", "b": "", "c": "London", "d": "1990 and 1991"}  # e missing -> skipped
    s = squad_v2_scores(data, preds)
    # a: 1/1, b: 1/1, c: 0/0, d: EM 0, F1 vs "1990": P=1/3 R=1 -> 0.5 (vs "in 1990": 1/3 & 1/2 -> 0.4)
    assert s["total"] == 4 and s["exact"] == pytest.approx(50.0)
    assert s["f1"] == pytest.approx(100 * (1 + 1 + 0 + 0.5) / 4)
    assert (s["HasAns_total"], s["NoAns_total"]) == (2, 2)
    assert s["HasAns_f1"] == pytest.approx(75.0) and s["NoAns_exact"] == pytest.approx(50.0)


def test_scorers_on_the_official_dev_files(sample_data):
    v1 = read_squad_json(sample_data / "squad" / "dev-v1.1.json.zip")
    gold = {q.qid: q.answers[0][0] for q in examples_of(v1)}
    assert len(gold) == 10570
    assert squad_v1_scores(v1, gold) == {"exact_match": 100.0, "f1": 100.0}
    assert squad_v1_scores(v1, {}) == {"exact_match": 0.0, "f1": 0.0}
    v2 = read_squad_json(sample_data / "squad" / "cs224n-dev-v2.0-half.json")
    s = squad_v2_scores(v2, {q.qid: "" for q in examples_of(v2)})  # the no-answer baseline
    assert s["total"] == 6078 and s["NoAns_total"] == 3168
    assert s["exact"] == pytest.approx(100 * 3168 / 6078) and s["f1"] == pytest.approx(100 * 3168 / 6078)


def test_windows_hold_the_answer_and_oracle_logits_decode_to_gold(tiny_hf, sample_data):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_hf)
    data = read_squad_json(sample_data / "squad" / "dev-v1.1.json.zip")[:1]
    data = [{**data[0], "paragraphs": data[0]["paragraphs"][:4]}]
    examples = examples_of(data)
    recipe = dataclasses.replace(squad_recipe(), max_seq_len=64, doc_stride=24, max_query_len=24)
    feats, metas = build_features(tok, examples, recipe, train=True, answerability=True)
    assert len(feats) > 2 * len(examples)  # long contexts were cut into several windows
    hits = exact = 0
    for f, m in zip(feats, metas, strict=True):
        assert len(f["input_ids"]) <= 64
        if f["is_answerable"]:
            hits += 1
            ex = examples[m["example"]]
            lo, hi = m["offsets"][f["start_positions"]][0], m["offsets"][f["end_positions"]][1]
            # a gold answer may end inside a BPE token ("8" of "18"): the token span then covers more
            assert normalize_answer(ex.answers[0][0]) in normalize_answer(ex.context[lo:hi])
            exact += normalize_answer(ex.context[lo:hi]) == normalize_answer(ex.answers[0][0])
        else:
            assert f["start_positions"] == f["end_positions"] == 0
    assert hits >= len(examples) and exact >= 0.95 * hits
    # One-hot logits at the gold positions of answer-bearing windows decode back to the gold answers.
    starts, ends = [], []
    for f in feats:
        s, e = np.full(64, -5.0), np.full(64, -5.0)
        if f["is_answerable"]:
            s[f["start_positions"]], e[f["end_positions"]] = 5.0, 5.0
        starts.append(s)
        ends.append(e)
    preds = decode_predictions(examples, metas, starts, ends, None, max_answer_len=30, na_threshold=0.5)
    assert squad_v1_scores(data, preds)["exact_match"] >= 90.0


def _quick(version, tiny_hf, train, dev, out):
    return main(
        [
            "squad",
            "--version",
            version,
            "--checkpoint",
            str(tiny_hf),
            "--train",
            str(train),
            "--dev",
            str(dev),
            "--out",
            str(out),
            "--quick",
        ]
    )


def test_quick_squad_v2(tiny_hf, sample_data, tmp_path):
    f = sample_data / "squad" / "cs224n-dev-v2.0-half.json"  # no SQuAD train file is local: smoke run on dev
    assert _quick("2.0", tiny_hf, f, f, tmp_path) == 0
    r = read_result(tmp_path / "squad2.0.json")
    assert r.metric == "f1" and set(r.metrics[0]) >= {"em", "f1", "HasAns_f1", "NoAns_f1"}
    assert 0.0 <= r.median <= 100.0


@pytest.mark.slow
def test_quick_squad_v1(tiny_hf, sample_data, tmp_path):
    f = sample_data / "squad" / "dev-v1.1.json.zip"
    assert _quick("1.1", tiny_hf, f, f, tmp_path) == 0
    assert set(read_result(tmp_path / "squad1.1.json").metrics[0]) == {"em", "f1"}


def test_missing_squad_file_is_one_line(tiny_hf, tmp_path, capsys):
    assert _quick("1.1", tiny_hf, tmp_path / "nope.json", tmp_path / "nope.json", tmp_path) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: SQuAD file") and "\n" not in err


def test_span_training_learns_a_trivial_task(tiny_hf, tmp_path):
    """The span head, loss and decoding must fit "the code is WORD" questions (catches broken targets)."""
    import json

    from benchmarks.sweep import SpanRecipe
    from benchmarks.tasks.squad import run_squad

    words = ["apple", "river", "stone", "cloud", "tiger", "piano", "lemon", "candle"]
    paragraphs = []
    for i, w in enumerate(words * 3):
        ctx = f"Some filler text here. The code is {w} today. More filler follows."
        qa = {
            "id": f"q{i}",
            "question": "What is the code?",
            "is_impossible": False,
            "answers": [{"text": w, "answer_start": ctx.index(f"is {w}") + 3}],
        }
        paragraphs.append({"context": ctx, "qas": [qa]})
    f = tmp_path / "toy.json"
    f.write_text(json.dumps({"version": "1.1", "data": [{"title": "toy", "paragraphs": paragraphs}]}))
    recipe = SpanRecipe(
        batch_sizes=(8,), lrs=(3e-3,), seeds=(1,), epochs=10, max_seq_len=48, doc_stride=16, max_query_len=16
    )
    res = run_squad(tiny_hf, "1.1", f, f, tmp_path / "out", recipe=recipe)
    assert res.median >= 90.0
