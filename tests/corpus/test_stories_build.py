"""End to end: `build stories` over the CC-MAIN mirror (real WARCs), WSC273 queries, top fraction kept."""

from __future__ import annotations

import gzip
import json
import math

import numpy as np
import pytest
from corpus.cli import main
from corpus.executors import ExecutorConfig
from corpus.formats import read_documents
from corpus.steps.dedup import DedupConfig
from corpus.stories.build import SCORED_DIR, SCORES_DIR, StoriesConfig, build_stories
from corpus.stories.queries import load_queries
from corpus.stories.scoring import NgramOverlapScorer
from corpus.stories.steps import SCORE_KEY

CRAWL = "CC-MAIN-2018-05"


def _scored(work):
    """Every scored document of the score pass, in (task, position) order."""
    for path in sorted((work / SCORED_DIR).glob("*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as f:
            yield from (json.loads(line) for line in f)


@pytest.fixture(scope="module")
def stories(sample_data, tmp_path_factory):
    out = tmp_path_factory.mktemp("stories") / "out"
    cfg = StoriesConfig(
        source=str(sample_data / "cc_main_mirror"),
        crawl=CRAWL,
        queries=str(sample_data / "wsc" / "WSCollection.xml"),
        top_fraction=0.1,
        tasks=2,
        dedup=DedupConfig(near=False),  # near dedup is CC-NEWS's to test; here the stages stay short
    )
    stats = build_stories(cfg, out, executor=ExecutorConfig(workers=1))
    return cfg, out, stats


def test_keeps_exactly_the_top_fraction(stories, sample_data):
    cfg, out, stats = stories
    scored = list(_scored(out / "_work"))
    assert len(scored) == stats["selection"]["scored"] > 100  # most of the 248 news pages survive the filters
    k = math.ceil(0.1 * len(scored) - 1e-9)
    ranked = sorted(range(len(scored)), key=lambda i: (-scored[i]["metadata"][SCORE_KEY], i))
    expected = {scored[i]["id"] for i in ranked[:k]}
    docs = list(read_documents(out))
    assert {d["id"] for d in docs} == expected and stats["kept"] == k
    assert all(d["source"] == "stories" for d in docs)
    # the recorded scores are the documented formula applied to the written text
    scorer = NgramOverlapScorer(load_queries(cfg.queries))
    by_id = {s["id"]: s for s in scored}
    for d in docs[:5]:
        assert scorer.score(d["text"]) == pytest.approx(by_id[d["id"]]["metadata"][SCORE_KEY], abs=1e-12)
    assert stats["dropped"]["below_top_fraction"] == len(scored) - k
    # the score files the threshold search streams are aligned with the scored documents
    files = sorted((out / "_work" / SCORES_DIR).glob("*.scores.npy"))
    assert np.concatenate([np.load(f) for f in files]).tolist() == [s["metadata"][SCORE_KEY] for s in scored]


def test_rerun_resumes_without_duplicates(stories):
    cfg, out, stats = stories
    before = sorted(d["id"] for d in read_documents(out))
    again = build_stories(cfg, out, executor=ExecutorConfig(workers=1))
    assert sorted(d["id"] for d in read_documents(out)) == before
    assert again["kept"] == stats["kept"]


def test_stats_table_over_builds(stories, capsys):
    _, out, stats = stories
    assert main(["stats", str(out)]) == 0
    table = capsys.readouterr().out
    row = next(line for line in table.splitlines() if line.startswith("stories"))
    assert row.split()[1] == str(stats["kept"])


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--crawl", "CC-MAIN-18"], "bad --crawl"),
        (["--crawl", CRAWL, "--top-fraction", "0"], "--top-fraction must be in (0, 1]"),
        (["--crawl", CRAWL, "--queries", "/nonexistent/q.txt"], "queries file not found"),
        (["--crawl", "CC-MAIN-2099-01"], "not found"),
    ],
)
def test_cli_bad_input_is_one_error_line(sample_data, tmp_path, capsys, argv, message):
    base = [
        "build",
        "stories",
        "--source",
        str(sample_data / "cc_main_mirror"),
        "--output",
        str(tmp_path / "o"),
    ]
    assert main([*base, *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and err.count("\n") == 1


@pytest.mark.cluster
@pytest.mark.slow  # ~10 chained jobs: about a minute on the one-node cluster
def test_slurm_build_equals_local(stories, slurm_cluster, tmp_path):
    """The threshold search is a stage of its own, so Stories runs as one Slurm chain, same documents."""
    cfg, out, stats = stories
    slurm_out = tmp_path / "slurm"
    got = build_stories(cfg, slurm_out, executor=ExecutorConfig(kind="slurm", mem_per_cpu_gb=0.5))
    assert got["selection"] == stats["selection"] and got["kept"] == stats["kept"]
    docs = [{d["id"]: d["text"] for d in read_documents(o)} for o in (slurm_out, out)]
    assert docs[0] == docs[1] and docs[0]
    assert (slurm_out / "_work" / "logs" / "08_selection-plan" / "completions" / "00000").is_file()
