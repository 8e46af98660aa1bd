"""RACE: the released folder layout (a small hand-made fixture), input construction and a quick run."""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks.cli import main
from benchmarks.results import read_result
from benchmarks.tasks.race import encode, load_race, qa_text

PASSAGES = [
    (
        "Tom has a red bike. He rides it to school every day.",
        "What colour is Tom's bike?",
        ["Blue", "Red", "Green", "Black"],
        "B",
    ),
    (
        "The library opens at nine and closes at five.",
        "The library closes at _ .",
        ["five", "nine", "noon", "midnight"],
        "A",
    ),
    (
        "Mary planted tomatoes in spring; by summer she had a basket of them.",
        "What did Mary grow?",
        ["Potatoes", "Roses", "Beans", "Tomatoes"],
        "D",
    ),
]


def write_race(root, splits=("train", "dev", "test")):
    """RACE's released layout: SPLIT/LEVEL/N.txt, each a JSON passage with parallel question lists."""
    for split in splits:
        for level in ("middle", "high"):
            folder = root / split / level
            folder.mkdir(parents=True)
            for i, (article, q, opts, ans) in enumerate(PASSAGES):
                doc = {
                    "id": f"{level}{i}.txt",
                    "article": article,
                    "questions": [q, q],
                    "options": [opts, opts],
                    "answers": [ans, ans],
                }
                (folder / f"{i}.txt").write_text(json.dumps(doc))
    return root


def test_layout_is_read(tmp_path):
    sets = load_race(write_race(tmp_path / "RACE"))
    assert {k: len(v) for k, v in sets.items()} == {"train": 12, "dev": 12, "test": 12}
    ex = sets["dev"][0]
    assert ex.level == "middle" and ex.label == 1 and len(ex.options) == 4


def test_inputs_truncate_qa_to_128_and_whole_to_512(tiny_hf):
    from benchmarks.tasks.race import RaceExample
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_hf)
    assert qa_text("The library closes at _ .", "five") == "The library closes at five ."
    long_q = "why " * 300
    ex = RaceExample("high", "word " * 1000, long_q, ("a", "b", "c", "d"), 2)
    feat = encode(tok, ex, 512, 128)
    assert feat["labels"] == 2 and len(feat["input_ids"]) == 4
    for row in feat["input_ids"]:
        assert len(row) == 512 and row[0] == tok.cls_token_id and row[-1] == tok.sep_token_id
        sep = row.index(tok.sep_token_id)
        assert row[sep + 1] == tok.sep_token_id and len(row) - sep - 3 == 128  # q+a kept to 128 tokens
    short = encode(tok, RaceExample("middle", "Short text.", "Who?", ("Tom", "Ann", "Bo", "Al"), 0), 512, 128)
    assert tok.decode(short["input_ids"][1]) == "<s>Short text.</s></s>Who? Ann</s>"


def quick_race(checkpoint: Path, data: Path, out: Path) -> int:
    """``bench race --quick`` through the CLI entry point; returns the exit code."""
    return main(["race", "--checkpoint", str(checkpoint), "--data", str(data), "--out", str(out), "--quick"])


def test_quick_race_run(tiny_hf, tmp_path):
    root = write_race(tmp_path / "RACE")
    assert quick_race(tiny_hf, root, tmp_path / "o") == 0
    r = read_result(tmp_path / "o" / "race.json")
    assert r.task == "race" and r.metric == "acc"
    assert set(r.metrics[0]) == {"acc", "acc_middle", "acc_high", "dev_acc", "dev_acc_middle", "dev_acc_high"}
    assert all(0.0 <= v <= 1.0 for v in r.metrics[0].values())


def test_missing_split_is_one_line(tiny_hf, tmp_path, capsys):
    root = write_race(tmp_path / "RACE", splits=("train", "dev"))
    assert quick_race(tiny_hf, root, tmp_path / "o") == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: race: no data:") and "test" in err and "\n" not in err


def test_hub_offline_is_one_line(tiny_hf, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "hf" / "datasets"))
    assert main(["race", "--checkpoint", str(tiny_hf), "--data", "hub", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip()
    assert "ehovy/race" in err and "offline" in err and "\n" not in err


def test_hub_rows_convert():
    from benchmarks.tasks.race import race_from_hub

    rows = [
        {
            "example_id": "m1.txt",
            "article": "A.",
            "question": "Q?",
            "options": ["w", "x", "y", "z"],
            "answer": "C",
        }
    ]
    (ex,) = race_from_hub("middle", rows)
    assert (ex.level, ex.label, ex.options) == ("middle", 2, ("w", "x", "y", "z"))
