"""``corpus decontaminate`` and ``corpus build ... --decontaminate`` through the real CLI (issue 16): the
planted evaluation passage is dropped from the build's output and counted in its stats.json; re-running
resumes; changed evaluation files give fresh decontamination stages whose counts replace the old ones; bad
input is one ``error:`` line and exit 2."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import planted_eval, window_of
from corpus.cli import main
from corpus.formats import read_documents, read_shard, write_shard

MRPC = "mrpc-dev"
FILLER = " ".join(f"lorem{i}" for i in range(60))


def ids(folder: Path) -> list[str]:
    return sorted(d["id"] for d in read_documents(folder))


def test_build_drops_the_planted_document_and_counts_it(decontam_build, paper_build):
    out, target = decontam_build["out"], decontam_build["target"]
    assert ids(out) == sorted(set(ids(paper_build)) - {target["id"]})
    assert ids(out / "_work" / "shards") == ids(paper_build)  # the build's own shards, before decontamination
    stats = json.loads((out / "stats.json").read_text())
    assert stats["kept"] == len(ids(paper_build)) - 1
    assert stats["kept_before_decontamination"] == len(ids(paper_build))
    assert stats["dropped"][f"contaminated:{MRPC}"] == 1
    assert stats["bytes_out"] == sum(len(d["text"].encode()) for d in read_documents(out))
    task = stats["decontamination"]["tasks"][MRPC]
    assert (task["examples"], task["examples_hit"], task["docs_hit"]) == (1, 1, 1)
    assert (out / "decontamination.md").read_text().startswith("| task | examples |")


def test_build_rerun_resumes_and_changed_evals_replace_the_counts(decontam_build, tmp_path, capsys):
    """On a copy of the build (the shared fixture stays as it is for the other tests)."""
    out = tmp_path / "out"
    shutil.copytree(decontam_build["out"], out)
    argv = [*decontam_build["argv"]]
    argv[argv.index("--output") + 1] = str(out)
    shard = out / "part-00000.jsonl.zst"
    mtime = shard.stat().st_mtime_ns
    assert main(argv) == 0  # every task finished: nothing is redone
    assert shard.stat().st_mtime_ns == mtime
    capsys.readouterr()

    # the evaluation file changes (same path): a second quoted passage -> fresh decontamination stages
    second = decontam_build["docs"][1]
    tsv = decontam_build["evals"] / "MRPC" / "dev.tsv"
    original = tsv.read_text()
    planted_eval(
        decontam_build["evals"], [window_of(decontam_build["target"]["text"]), window_of(second["text"])]
    )
    try:
        assert main(argv) == 0
    finally:
        tsv.write_text(original)
    stats = json.loads((out / "stats.json").read_text())
    assert stats["dropped"][f"contaminated:{MRPC}"] == 2  # the superseded run's count is not added
    assert stats["kept"] == stats["kept_before_decontamination"] - 2
    assert {decontam_build["target"]["id"], second["id"]}.isdisjoint(ids(out))
    stages = sorted(p.name for p in (out / "_work" / "logs").iterdir() if "decontaminate-" in p.name)
    assert len(stages) == 2 and stages[0][-12:] != stages[1][-12:]


def test_build_refuses_other_decontamination_settings(decontam_build, capsys):
    assert main([*decontam_build["argv"], "--mark-only"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "different settings" in err and err.count("\n") == 1


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "corpus.cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=os.environ,
    )


def test_bad_input_is_one_error_line(tmp_path, sample_data, capsys):
    mrpc = str(sample_data / "glue" / "MRPC" / "dev.tsv")
    write_shard(tmp_path / "in" / "part-00000.jsonl.zst", [doc(0, FILLER)])
    cases = [
        (["decontaminate", str(tmp_path / "nothing"), "--against", mrpc, "--output", str(tmp_path / "o")],
         "no corpus shards found"),
        (["decontaminate", str(tmp_path / "in"), "--against", str(tmp_path / "nope"), "--output", str(tmp_path / "o")],
         "evaluation path not found"),
        (["decontaminate", str(tmp_path / "in"), "--against", mrpc, "--output", str(tmp_path / "o"), "--ngram", "0"],
         "--ngram must be >= 1"),
        (["build", "cc-news", "--output", str(tmp_path / "b"), "--mark-only"], "--mark-only needs --decontaminate"),
        (["build", "cc-news", "--output", str(tmp_path / "b"), "--decontaminate", ","], "--decontaminate: give"),
    ]  # fmt: skip
    for argv, message in cases[1:]:
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert err.startswith("error: ") and message in err and err.count("\n") == 1, err
    done = cli(*cases[0][0])  # the installed entry point too: no traceback, no usage block
    assert done.returncode == 2 and done.stderr.startswith("error: ") and cases[0][1] in done.stderr
    assert done.stderr.count("\n") == 1


def doc(i: int, text: str) -> dict:
    return {
        "id": f"d{i}",
        "text": text,
        "url": f"https://news.example/{i}",
        "date": "2017-06-01",
        "source": "t",
    }


def test_decontaminate_command_mark_only_then_drop(tmp_path, sample_data, capsys):
    mrpc = sample_data / "glue" / "MRPC" / "dev.tsv"
    with open(mrpc, encoding="utf-8-sig", newline="") as f:
        sentence = next(r["#1 String"] for r in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    src = tmp_path / "in"
    write_shard(src / "part-00000.jsonl.zst", [doc(0, f"{FILLER} {sentence} {FILLER}"), doc(1, FILLER)])
    write_shard(src / "part-00001.jsonl.zst", [doc(2, FILLER)])
    cache = tmp_path / "cache"
    base = ["decontaminate", str(src), "--against", str(mrpc), "--index-cache", str(cache), "--quiet"]

    assert main([*base, "--output", str(tmp_path / "marked"), "--mark-only"]) == 0
    table = capsys.readouterr().out
    assert f"| {MRPC} | 408 |" in table and "contaminated (marked): 1" in table
    marked = {d["id"]: d for d in read_shard(tmp_path / "marked" / "part-00000.jsonl.zst")}
    assert set(marked) == {"d0", "d1"} and marked["d0"]["contaminated_task"] == MRPC

    assert main([*base, "--output", str(tmp_path / "clean"), "--executor.cpus_per_task=1"]) == 0
    assert "contaminated (dropped): 1" in capsys.readouterr().out
    assert ids(tmp_path / "clean") == ["d1", "d2"]
    assert len(list(cache.glob("index-*.npz"))) == 1  # the second run reused the cached index
    assert main([*base, "--output", str(tmp_path / "x"), "--executor.nope=1"]) == 2
    assert main([*base, "--output", str(tmp_path / "x"), "--bogus"]) == 2
    assert capsys.readouterr().err.count("error: ") == 2


def test_decontaminate_help_stays_light():
    done = subprocess.run(
        [sys.executable, "-c", "import sys; from corpus.cli import main\n"
         "try: main(['decontaminate', '--help'])\nexcept SystemExit: pass\n"
         "print(sorted(m for m in ('numpy', 'datatrove', 'matplotlib') if m in sys.modules))"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.stdout.strip().splitlines()[-1] == "[]"
