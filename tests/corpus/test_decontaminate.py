"""Decontamination against the evaluation sets (issue 16): real MRPC dev and SQuAD dev text planted in corpus
documents is caught and attributed; 12 shared words are not enough; normalisation is the same on both sides;
mark-only keeps documents with their marks; re-runs skip finished tasks; the index cache is keyed by the
evaluation files' checksums; bad evaluation files give one-line ``CorpusError``s."""

from __future__ import annotations

import csv
import json
import shutil
import zipfile
from pathlib import Path

import pytest
from corpus.decontam import (
    ContaminationFilter,
    EvalSetError,
    decontaminate,
    ensure_index,
    load_eval_sets,
    ngram_hashes,
    normalise,
)
from corpus.decontam.report import contamination_table
from corpus.errors import CorpusError
from corpus.formats import read_shard, write_shard
from hypothesis import given, settings
from hypothesis import strategies as st

MRPC, SQUAD = "mrpc-dev", "squad-v1.1-dev"
FILLER = " ".join(f"lorem{i}" for i in range(60))  # words that occur in no evaluation set


@pytest.fixture(scope="session")
def mrpc_dev(sample_data: Path) -> Path:
    path = sample_data / "glue" / "MRPC" / "dev.tsv"
    if not path.is_file():
        pytest.fail(f"missing {path}")
    return path


@pytest.fixture(scope="session")
def squad_dev(sample_data: Path) -> Path:
    path = sample_data / "squad" / "dev-v1.1.json.zip"
    if not path.is_file():
        pytest.fail(f"missing {path}")
    return path


@pytest.fixture(scope="session")
def against(mrpc_dev: Path, squad_dev: Path) -> list[Path]:
    return [mrpc_dev, squad_dev]


@pytest.fixture(scope="session")
def index_cache(tmp_path_factory: pytest.TempPathFactory, against: list[Path]) -> Path:
    """One index of MRPC dev + SQuAD dev shared by the tests (built once, then reused from the cache)."""
    cache = tmp_path_factory.mktemp("index")
    ensure_index(against, cache)
    return cache


@pytest.fixture(scope="session")
def mrpc_sentence(mrpc_dev: Path) -> str:
    """A real MRPC dev sentence (``#1 String`` of the first row), at least 20 words."""
    with open(mrpc_dev, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    return next(r["#1 String"] for r in rows if len(r["#1 String"].split()) >= 20)


@pytest.fixture(scope="session")
def squad_paragraph(squad_dev: Path) -> dict:
    with zipfile.ZipFile(squad_dev) as z:
        data = json.loads(z.read("dev-v1.1.json"))
    return data["data"][0]["paragraphs"][0]


def doc(i: int, text: str) -> dict:
    return {
        "id": f"d{i}",
        "text": text,
        "url": f"https://news.example/{i}",
        "date": "2017-06-01",
        "source": "t",
    }


def corpus(folder: Path, shards: list[list[dict]]) -> Path:
    for n, docs in enumerate(shards):
        write_shard(folder / f"part-{n:05d}.jsonl.zst", docs)
    return folder


def texts(mrpc_sentence: str, squad_paragraph: dict) -> dict[str, str]:
    return {
        "mrpc": f"{FILLER} {mrpc_sentence} {FILLER}",
        "squad": f"{FILLER}\n\n{squad_paragraph['context']}\n\n{FILLER}",
        "both": f"{mrpc_sentence} {FILLER} {squad_paragraph['context']}",
        "clean": f"{FILLER} nothing here comes from an evaluation set {FILLER}",
    }


def test_real_mrpc_and_squad_text_is_dropped_and_attributed(
    tmp_path, against, index_cache, mrpc_sentence, squad_paragraph
):
    t = texts(mrpc_sentence, squad_paragraph)
    src = corpus(
        tmp_path / "in", [[doc(0, t["mrpc"]), doc(1, t["clean"])], [doc(2, t["squad"]), doc(3, t["both"])]]
    )
    report = decontaminate(src, against, tmp_path / "out", index_cache=index_cache)

    kept = [d["id"] for s in sorted((tmp_path / "out").glob("*.jsonl.zst")) for d in read_shard(s)]
    assert kept == ["d1"]
    assert report["documents"] == 4 and report["documents_dropped"] == 3
    assert report["tasks"][MRPC]["docs_hit"] == 2 and report["tasks"][MRPC]["examples_hit"] == 1
    # the paragraph stands for all its questions: every one of them counts as hit
    assert report["tasks"][SQUAD]["docs_hit"] == 2
    assert report["tasks"][SQUAD]["examples_hit"] == len(squad_paragraph["qas"])
    reasons = {}
    for f in (tmp_path / "out" / ".decontam").rglob("dropped/*.jsonl.gz"):
        import gzip

        for line in gzip.open(f, "rt"):
            rec = json.loads(line)
            reasons[rec["id"]] = rec["metadata"]["filter_reason"]
    assert reasons == {
        "d0": f"contaminated:{MRPC}",
        "d2": f"contaminated:{SQUAD}",
        "d3": f"contaminated:{MRPC}",
    }
    saved = json.loads((tmp_path / "out" / "decontamination.json").read_text())
    assert saved["tasks"] == report["tasks"]
    table = (tmp_path / "out" / "decontamination.md").read_text()
    assert table == contamination_table(report) and f"| {MRPC} | 408 |" in table


def test_mark_only_keeps_documents_with_task_and_ngram(
    tmp_path, against, index_cache, mrpc_sentence, squad_paragraph
):
    t = texts(mrpc_sentence, squad_paragraph)
    src = corpus(tmp_path / "in", [[doc(0, t["mrpc"]), doc(1, t["clean"]), doc(3, t["both"])]])
    report = decontaminate(src, against, tmp_path / "out", mark_only=True, index_cache=index_cache)

    out = {d["id"]: d for d in read_shard(tmp_path / "out" / "part-00000.jsonl.zst")}
    assert set(out) == {"d0", "d1", "d3"}
    assert out["d0"]["contaminated_task"] == MRPC and out["d0"]["contaminated_tasks"] == [MRPC]
    assert out["d0"]["contaminated_ngram"] in " ".join(normalise(mrpc_sentence))
    assert len(out["d0"]["contaminated_ngram"].split()) == 13
    assert out["d3"]["contaminated_tasks"] == [MRPC, SQUAD]
    assert "contaminated_task" not in out["d1"]
    assert out["d0"]["url"] == "https://news.example/0"  # the input record's fields are kept
    assert report["documents_contaminated"] == 2 and report["documents_dropped"] == 0


def test_twelve_shared_words_are_not_contamination_thirteen_are(index_cache, against, mrpc_sentence):
    built = ensure_index(against, index_cache)
    assert built.reused
    filt = ContaminationFilter(built.path, mark_only=True)
    words = normalise(mrpc_sentence)
    assert filt.match(f"{FILLER} {' '.join(words[3:15])} {FILLER}") is None
    found = filt.match(f"{FILLER} {' '.join(words[3:16])} {FILLER}")
    assert found is not None and found[0] == MRPC and found[1] == " ".join(words[3:16])


SEPARATORS = st.sampled_from([" ", "  ", "\n", "\t ", ", ", " - ", "-", "; ", " ... ", "/", '" ', " (", ") "])


@st.composite
def restyled(draw: st.DrawFn) -> tuple[str, str]:
    """A plain lowercase sentence and the same words with other case, punctuation and whitespace."""
    words = draw(st.lists(st.from_regex(r"[a-z]{1,9}", fullmatch=True), min_size=13, max_size=30))
    styled = []
    for w in words:
        case = draw(st.sampled_from([str.lower, str.upper, str.title]))
        styled.append(case(w) + draw(SEPARATORS))
    lead, tail = draw(SEPARATORS), draw(st.sampled_from(["", ".", "!", "?\n"]))
    return " ".join(words), lead + "".join(styled) + tail


@settings(max_examples=200, deadline=None)
@given(restyled())
def test_normalisation_is_the_same_on_both_sides(pair):
    plain, styled = pair
    assert normalise(styled) == normalise(plain)
    assert ngram_hashes(styled, 13).tolist() == ngram_hashes(plain, 13).tolist()


def test_restyled_real_sentence_is_caught(index_cache, against, mrpc_sentence):
    """The TSV's tokenised text ("company 's") against the untokenised, shouted, re-spaced copy of a web page."""
    filt = ContaminationFilter(ensure_index(against, index_cache).path)
    copy = (
        mrpc_sentence.replace(" 's", "'s").replace(" ,", ",").replace(" .", ".").upper().replace(" ", "\n  ")
    )
    assert filt.match(copy) is not None and filt.match(copy)[0] == MRPC


def test_rerun_skips_finished_tasks_and_redoes_unfinished(tmp_path, against, index_cache, mrpc_sentence):
    src = corpus(tmp_path / "in", [[doc(0, f"{FILLER} {mrpc_sentence}"), doc(1, FILLER)], [doc(2, FILLER)]])
    out = tmp_path / "out"
    decontaminate(src, against, out, index_cache=index_cache)
    # mark shard 0 as "already done" with a sentinel; make task 1 unfinished (no marker, no output)
    write_shard(out / "part-00000.jsonl.zst", [doc(9, "sentinel")])
    (out / "part-00001.jsonl.zst").unlink()
    markers = sorted(out.glob(".decontam/run-*/logs/*_decontaminate/completions/*"))
    assert [m.name for m in markers] == ["00000", "00001"]
    markers[1].unlink()

    report = decontaminate(src, against, out, index_cache=index_cache)
    assert [d["id"] for d in read_shard(out / "part-00000.jsonl.zst")] == ["d9"]  # task 0 skipped
    assert [d["id"] for d in read_shard(out / "part-00001.jsonl.zst")] == ["d2"]  # task 1 redone
    assert report["tasks"][MRPC]["docs_hit"] == 1  # findings of the skipped task are kept


def test_index_cache_reused_when_unchanged_rebuilt_when_changed(tmp_path, mrpc_dev):
    glue = tmp_path / "glue" / "MRPC"
    glue.mkdir(parents=True)
    shutil.copy(mrpc_dev, glue / "dev.tsv")
    cache = tmp_path / "cache"
    first = ensure_index([tmp_path / "glue"], cache)
    again = ensure_index([tmp_path / "glue"], cache)
    assert not first.reused and again.reused and again.path == first.path
    assert again.summary["tasks"][MRPC]["examples"] == 408
    mtime = first.path.stat().st_mtime_ns

    with open(glue / "dev.tsv", "a", encoding="utf-8") as f:
        f.write("1\t1\t2\tA brand new sentence appended to the dev set .\tAnd its pair .\n")
    changed = ensure_index([tmp_path / "glue"], cache)
    assert not changed.reused and changed.key != first.key and changed.path != first.path
    assert changed.summary["tasks"][MRPC]["examples"] == 409
    assert first.path.stat().st_mtime_ns == mtime  # the old index is left as it was
    assert ensure_index([tmp_path / "glue"], cache, ngram=8).key != changed.key  # n is part of the key


def one_line_error(paths: list[Path], match: str) -> str:
    with pytest.raises(EvalSetError, match=match) as info:
        load_eval_sets(paths)
    assert isinstance(info.value, CorpusError)
    assert "\n" not in str(info.value)
    return str(info.value)


def test_glue_tsv_with_a_malformed_row(tmp_path):
    tsv = tmp_path / "RTE" / "dev.tsv"
    tsv.parent.mkdir()
    tsv.write_text(
        "index\tsentence1\tsentence2\tlabel\n0\ta\tb\tentailment\n1\tonly two fields\n", encoding="utf-8"
    )
    msg = one_line_error([tmp_path], r"dev\.tsv:3: expected 4 tab-separated fields, got 2")
    assert str(tsv) in msg


def test_squad_json_missing_fields(tmp_path):
    bad = tmp_path / "dev-v1.1.json"
    bad.write_text(json.dumps({"version": "1.1", "data": [{"title": "x", "paragraphs": [{"qas": []}]}]}))
    one_line_error([bad], r"data\[0\]\.paragraphs\[0\] lacks 'context'")
    bad.write_text(json.dumps({"version": "1.1"}))
    one_line_error([bad], r"the top level lacks 'data'")
    bad.write_text("{not json")
    one_line_error([bad], r"not a SQuAD JSON file")


def race_file(root: Path, split: str, name: str, answers: list[str]) -> None:
    folder = root / split / "high"
    folder.mkdir(parents=True, exist_ok=True)
    article = " ".join(f"word{i}" for i in range(40))
    doc = {"id": name, "article": article, "questions": ["Why?"] * len(answers)}
    doc |= {"options": [["a", "b", "c", "d"]] * len(answers), "answers": answers}
    (folder / name).write_text(json.dumps(doc), encoding="utf-8")


def test_race_dev_test_loaded_and_wrong_answer_letter(tmp_path):
    race = tmp_path / "RACE"
    race_file(race, "dev", "1.txt", ["A", "C"])
    race_file(race, "test", "2.txt", ["D"])
    race_file(race, "train", "3.txt", ["B"])  # not an evaluation split: ignored
    sets = {s.task: s.n_examples for s in load_eval_sets([race])}
    assert sets == {"race-dev": 2, "race-test": 1}
    race_file(race, "test", "4.txt", ["B", "E"])
    one_line_error([race], r"4\.txt: question 2 has answer 'E' \(expected one of A, B, C, D\)")


def test_real_eval_folders_load(sample_data):
    wsc = sample_data / "wsc" / "WSCollection.xml"
    if not wsc.is_file():
        pytest.fail(f"missing {wsc}")
    sets = {s.task: s.n_examples for s in load_eval_sets([sample_data / "glue", wsc])}
    assert sets["mrpc-dev"] == 408 and sets["mrpc-test"] == 1725 and sets["qnli-dev"] == 5463
    assert sets["cola-dev"] == 1043 and sets["ax-test"] == 1104
    assert sets["wsc273"] == 273
    assert not any("cleaned" in t or "final" in t for t in sets)  # uploader variants are not indexed twice


def test_missing_and_unknown_paths(tmp_path):
    one_line_error([tmp_path / "nope"], "evaluation path not found")
    (tmp_path / "x.csv").write_text("a,b\n")
    one_line_error([tmp_path / "x.csv"], "unknown evaluation file type")


def test_filter_stage_pickled_for_slurm_runs_as_a_node_would(tmp_path, against, index_cache, mrpc_sentence):
    """The Slurm executor of the filter stage, pickled as ``launch_job`` pickles it, run by datatrove's node
    launcher with ``SLURM_ARRAY_TASK_ID``. No scheduler runs and nothing stands in for sbatch; the real
    ``scontrol`` expands the node list from a one-node ``slurm.conf``."""
    import os
    import shutil
    import subprocess
    import sys

    if shutil.which("scontrol") is None:
        pytest.skip("Slurm's scontrol is not installed")

    import dill
    from corpus.decontam import plan_decontamination
    from corpus.executors import ExecutorConfig, make_executor, stage_log_dir

    src = corpus(tmp_path / "in", [[doc(0, f"{FILLER} {mrpc_sentence}"), doc(1, FILLER)], [doc(2, FILLER)]])
    out = tmp_path / "out"
    plan = plan_decontamination(src, against, out, index_cache=index_cache)
    stage = plan.stages[0]
    log_dir = stage_log_dir(plan.logs, 0, stage)
    ex = make_executor(stage, ExecutorConfig(kind="slurm"), log_dir)
    log_dir.mkdir(parents=True)
    with open(log_dir / "executor.pik", "wb") as f:
        dill.dump(ex, f, fmode=dill.CONTENTS_FMODE)
    (log_dir / "ranks_to_run.json").write_text(json.dumps([0, 1]))

    launcher = str(Path(sys.executable).parent / "launch_pickled_pipeline")
    conf = tmp_path / "slurm.conf"
    conf.write_text(
        "ClusterName=t\nSlurmctldHost=localhost\nNodeName=localhost CPUs=1\nPartitionName=cpu Nodes=localhost\n"
    )
    env = {**os.environ, "SLURM_ARRAY_TASK_ID": "0", "SLURM_NODELIST": "localhost", "SLURM_CONF": str(conf)}
    done = subprocess.run(
        [launcher, str(log_dir / "executor.pik")], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert [d["id"] for d in read_shard(out / "part-00000.jsonl.zst")] == ["d1"]
    assert (log_dir / "completions" / "00000").is_file() and not (out / "part-00001.jsonl.zst").exists()
    hits = json.loads(next(out.glob(".decontam/run-*/hits/00000.json")).read_text())
    assert hits["docs_hit"] == {MRPC: 1} and hits["documents"] == 2


def test_stages_over_shards_a_build_has_yet_to_write(tmp_path, against, index_cache, mrpc_sentence):
    """``corpus build --decontaminate``: the stages are laid out before the build's writer has run."""
    from corpus.decontam import plan_decontamination
    from corpus.executors import ExecutorConfig, run_stages

    future = [tmp_path / "work" / "shards" / f"part-{r:05d}.jsonl.zst" for r in range(2)]
    plan = plan_decontamination(future, against, tmp_path / "out", index_cache=index_cache)
    assert [s.tasks for s in plan.stages] == [2, 1]
    corpus(
        tmp_path / "work" / "shards", [[doc(0, f"{FILLER} {mrpc_sentence}")], [doc(1, FILLER)]]
    )  # the build
    run_stages(plan.stages, ExecutorConfig(), plan.logs, progress=False)
    report = json.loads((tmp_path / "out" / "decontamination.json").read_text())
    assert report["documents"] == 2 and report["tasks"][MRPC]["docs_hit"] == 1
    assert sorted(p.name for p in (tmp_path / "out").glob("*.jsonl.zst")) == [
        "part-00000.jsonl.zst",
        "part-00001.jsonl.zst",
    ]
