"""Bad benchmark input through the real ``bench`` console script: one ``error:`` line naming the file (and the
line or entry), exit 2, and no result written: a GLUE TSV with a malformed row (wrong column count, bad
label), a SQuAD JSON missing fields, a RACE file with a wrong answer letter, a checkpoint whose ``merges.txt``
is cut short."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from test_race import write_race


def bench(*argv: str | Path) -> str:
    """Run ``bench ARGV`` in a fresh interpreter; return its one error line (after checking exit 2)."""
    cmd = [sys.executable, "-c", "import sys; from benchmarks.cli import main; sys.exit(main())"]
    done = subprocess.run([*cmd, *map(str, argv)], capture_output=True, text=True, timeout=600)
    err = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode == 2, (done.returncode, done.stderr[-3000:])
    assert len(err) == 1 and err[0].startswith("error: "), err
    return err[0]


def nothing_written(out: Path) -> None:
    assert not out.exists() or not [p for p in out.rglob("*") if p.is_file()], sorted(out.rglob("*"))


@pytest.fixture
def rte(sample_data: Path, tmp_path: Path) -> Path:
    """A GLUE folder holding a copy of the sample RTE task."""
    root = tmp_path / "glue"
    shutil.copytree(sample_data / "glue" / "RTE", root / "RTE")
    return root


@pytest.mark.parametrize(
    ("row", "says"),
    [
        ("9999\tA premise.\tA hypothesis.\n", "3 tab-separated columns, expected 4"),
        ("9999\tA premise.\tA hypothesis.\tmaybe\n", "label 'maybe' is not a rte label"),
    ],
    ids=["wrong-column-count", "bad-label"],
)
def test_glue_malformed_row(tiny_hf: Path, rte: Path, tmp_path: Path, row: str, says: str) -> None:
    train = rte / "RTE" / "train.tsv"
    lines = train.read_text(encoding="utf-8").splitlines(keepends=True)
    lines.insert(101, row)  # file line 102
    train.write_text("".join(lines), encoding="utf-8")
    out = tmp_path / "out"
    line = bench("glue", "--checkpoint", tiny_hf, "--tasks", "rte", "--data", rte, "--out", out, "--quick")
    assert line == f"error: {train}:102: {says}"
    nothing_written(out)


@pytest.mark.parametrize(
    ("drop", "says"),
    [
        ("question", "article 0, paragraph 1, question 2: missing field 'question'"),
        ("answer_start", "article 0, paragraph 1, question 2: missing field 'answer_start'"),
    ],
)
def test_squad_json_missing_fields(
    tiny_hf: Path, sample_data: Path, tmp_path: Path, drop: str, says: str
) -> None:
    data = json.loads((sample_data / "squad" / "cs224n-dev-v2.0-half.json").read_text(encoding="utf-8"))
    para = data["data"][0]["paragraphs"][1]
    qa = next(q for q in para["qas"][2:] if q["answers"])
    para["qas"][2] = qa
    {"question": qa, "context": para, "answer_start": qa["answers"][0]}[drop].pop(drop)
    bad = tmp_path / "train.json"
    bad.write_text(json.dumps(data), encoding="utf-8")
    out = tmp_path / "out"
    dev = sample_data / "squad" / "cs224n-dev-v2.0-half.json"
    line = bench(
        "squad", "--checkpoint", tiny_hf, "--version", "2.0", "--train", bad, "--dev", dev, "--out", out
    )
    assert line == f"error: {bad}: {says} (not a SQuAD JSON file)"
    nothing_written(out)


def test_race_wrong_answer_letter(tiny_hf: Path, tmp_path: Path) -> None:
    letter = "E"
    root = write_race(tmp_path / "RACE")
    f = root / "dev" / "high" / "1.txt"
    doc = json.loads(f.read_text())
    doc["answers"][1] = letter
    f.write_text(json.dumps(doc))
    out = tmp_path / "out"
    line = bench("race", "--checkpoint", tiny_hf, "--data", root, "--out", out, "--quick")
    assert line == f"error: {f}: question 2 has answer {letter!r}, expected one of A, B, C, D"
    nothing_written(out)


def test_checkpoint_with_merges_cut_short(tiny_hf: Path, bpe_dir: Path, tmp_path: Path) -> None:
    """A classic HF tokenizer (``vocab.json`` + ``merges.txt``, no ``tokenizer.json``) whose merges are cut."""
    hf = tmp_path / "hf"
    shutil.copytree(tiny_hf, hf)
    (hf / "tokenizer.json").unlink()
    shutil.copyfile(bpe_dir / "roberta-base-vocab.json", hf / "vocab.json")
    merges = (bpe_dir / "vocab.bpe").read_bytes()
    (hf / "merges.txt").write_bytes(merges[: len(merges) * 2 // 3])  # cut mid-file
    out = tmp_path / "out"
    line = bench("glue", "--checkpoint", hf, "--tasks", "rte", "--data", tmp_path, "--out", out, "--quick")
    assert line.startswith(f"error: checkpoint {hf}: damaged tokenizer: {hf / 'merges.txt'}"), line
    assert "cut short" in line
    nothing_written(out)


@pytest.mark.parametrize("letter", ["E", "", "AB", "a", None])
def test_race_reader_refuses_every_answer_but_a_to_d(tmp_path: Path, letter: object) -> None:
    """In process (the CLI path is above): ``"ABCD".index`` once took ``""`` and ``"AB"`` for A."""
    from benchmarks.errors import BenchError
    from benchmarks.tasks.race import read_race_dir

    root = write_race(tmp_path / "RACE")
    f = root / "train" / "middle" / "0.txt"
    doc = json.loads(f.read_text())
    doc["answers"][0] = letter
    f.write_text(json.dumps(doc))
    with pytest.raises(BenchError, match=f"question 1 has answer {letter!r:s}".replace("(", r"\(")):
        read_race_dir(root, "train")


def test_squad_reader_names_a_missing_context(tmp_path: Path) -> None:
    from benchmarks.errors import BenchError
    from benchmarks.tasks.squad_data import examples_of

    data = [{"paragraphs": [{"context": "c", "qas": []}, {"qas": [{"id": "1", "question": "q"}]}]}]
    with pytest.raises(BenchError, match="^x.json: article 0, paragraph 1: missing field 'context'"):
        examples_of(data, "x.json")
