"""End-to-end ``build_cc_news`` on the real CC-NEWS mirror with the local datatrove executor."""

from __future__ import annotations

import gzip
import json
from collections import Counter
from pathlib import Path

import pytest
from corpus import read_documents, read_stats
from corpus.steps.dates import DateWindowFilter
from corpus.steps.filters import EnglishFilter
from corpus.steps.warc import WarcRecordReader
from datatrove.data import Document

NON_ENGLISH_PAGES = (  # pages of the mirror in Russian, Indonesian and Japanese
    "https://gto-normativy.ru/skajrim-skorost-bega-kak-uvelichit/",
    "https://kabarislamia.com/2015/10/27/sejarah-pecahnya-islam-jadi-sunni-dan-syiah/",
    "http://www.afpbb.com/articles/-/3178894",
)


def _pre_dedup(build: Path) -> list[dict]:
    """Documents as they entered dedup (the document stage's intermediate output)."""
    files = sorted((build / "_work" / "10_docs").glob("*.jsonl.gz"))
    return [json.loads(line) for f in files for line in gzip.open(f, "rt")]


def _groups(manifest: dict) -> list[set[str]]:
    """Planted duplicate groups, merged when they share a URL (a page can be re-crawled AND syndicated)."""
    groups = [{u} for u in manifest["exact_recrawls"]]
    groups += [set(pair) for pair in manifest["syndicated"] + manifest["near_duplicates"]]
    merged: list[set[str]] = []
    for g in groups:
        overlapping = [m for m in merged if m & g]
        for m in overlapping:
            merged.remove(m)
            g |= m
        merged.append(g)
    return merged


def test_output_follows_contract(paper_build: Path) -> None:
    docs = list(read_documents(paper_build))  # validates every document
    assert docs and len({d["id"] for d in docs}) == len(docs)
    assert {d["source"] for d in docs} == {"cc-news"}
    assert sum(1 for d in docs if d.get("title")) > 0.9 * len(docs)
    assert any(d.get("author") for d in docs) and any(d.get("publish_date") for d in docs)
    stats = read_stats(paper_build)
    assert stats["kept"] == len(docs)
    assert stats["bytes_out"] == sum(len(d["text"].encode()) for d in docs)
    assert stats["bytes_in"] > stats["bytes_out"] > 0 and stats["docs_per_s"] > 0
    config = json.loads((paper_build / "config.json").read_text())
    assert config["build"]["month_from"] == "2016-09" and config["executor"]["kind"] == "local"


def test_date_window(paper_build: Path, full_build: Path) -> None:
    dates = [d["date"][:7] for d in read_documents(paper_build)]
    assert min(dates) >= "2016-09" and max(dates) <= "2019-02"
    all_dates = Counter(d["date"][:7] for d in read_documents(full_build))
    assert (
        all_dates["2016-08"] > 0 and all_dates["2019-03"] > 0
    )  # the mirror has them: the window removed them


def test_date_filter_drops_records_outside_window(mirror: Path, mirror_warcs: list[str]) -> None:
    reader = WarcRecordReader(str(mirror), mirror_warcs)
    window = DateWindowFilter(month_from="2016-09", month_to="2019-02")
    kept = list(window.run(reader.run(None, 0, 1), 0, 1))
    out_of_window = window.stats["dropped_out_of_window"].total
    assert out_of_window == 100  # 48 HTML pages in 2016-08 + 52 in 2019-03
    assert all("2016-09" <= d.metadata["date"][:7] <= "2019-02" for d in kept)
    assert window.filter(Document(text="x", id="1", metadata={})) == (False, "no_date")


def test_every_planted_duplicate_caught_and_distinct_kept(full_build: Path, manifest: dict) -> None:
    pre = Counter(d["metadata"]["url"] for d in _pre_dedup(full_build))
    post = Counter(d["url"] for d in read_documents(full_build))
    groups = _groups(manifest)
    checked = 0
    for group in groups:
        present = sum(pre[u] for u in group)
        if present >= 2:
            checked += 1
        kept = sum(post[u] for u in group)
        assert kept == (1 if present else 0), (group, present, kept)
    assert checked >= 20  # most planted groups reach dedup with two or more copies
    planted = set().union(*groups)
    distinct = [u for u in pre if u not in planted]
    assert distinct and all(post[u] == 1 for u in distinct)  # no distinct article merged or lost
    stats = read_stats(full_build)
    assert sum(stats["duplicates_removed"].values()) == sum(pre.values()) - sum(post.values())
    assert all(stats["duplicates_removed"][k] > 0 for k in ("url", "text", "near"))


def test_language_filter_on_real_pages(paper_build: Path, full_build: Path) -> None:
    stats = read_stats(full_build)
    assert stats["dropped"]["not_english"] >= 10
    urls = {d["url"] for d in read_documents(full_build)}
    assert not urls & set(NON_ENGLISH_PAGES)
    check = EnglishFilter()
    assert all(
        check.filter(Document(text=d["text"], id=d["id"])) is True for d in read_documents(paper_build)
    )


def test_skip_reasons_in_stats(paper_build: Path) -> None:
    stats = read_stats(paper_build)
    # the paper window's 8 WARC files hold 6 revisits, 6 redirects, 6 404s and 6 images (see the mirror)
    assert {
        k: stats["skipped"][k] for k in ("revisit", "redirect", "not_found", "non_html")
    } == dict.fromkeys(("revisit", "redirect", "not_found", "non_html"), 6)
    assert stats["html_pages"] == 184 and stats["warc_files"] == 8
    assert stats["records_read"] == 424
    kept_or_dropped = (
        stats["kept"] + sum(stats["dropped"].values()) + sum(stats["duplicates_removed"].values())
    )
    assert kept_or_dropped == stats["html_pages"]


def test_second_run_is_a_noop_and_other_config_refused(paper_build: Path, mirror: Path) -> None:
    from corpus import CorpusError, build_cc_news

    before = sorted(d["id"] for d in read_documents(paper_build))
    build_cc_news(mirror, paper_build, "2016-09", "2019-02")
    assert sorted(d["id"] for d in read_documents(paper_build)) == before
    with pytest.raises(CorpusError, match="different settings"):
        build_cc_news(mirror, paper_build, "2016-10", "2019-02")
