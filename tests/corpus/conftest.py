"""Fixtures for the corpus tests: the real CC-NEWS mirror, its planted-duplicate manifest, and two real builds
(paper window, all months) made once per session with the local datatrove executor."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

PAPER_WINDOW = ("2016-09", "2019-02")
ALL_MONTHS = ("2016-08", "2019-03")


@pytest.fixture(scope="session")
def mirror(sample_data: Path) -> Path:
    path = sample_data / "cc_news_mirror"
    if not path.is_dir():
        pytest.fail(f"missing {path}")
    return path


@pytest.fixture(scope="session")
def manifest(mirror: Path) -> dict:
    return json.loads((mirror / "MANIFEST.json").read_text())


@pytest.fixture(scope="session")
def mirror_warcs(mirror: Path) -> list[str]:
    """Every WARC of the mirror, as paths relative to the mirror root (all months)."""
    root = mirror
    return sorted(str(p.relative_to(root)) for p in root.glob("crawl-data/CC-NEWS/*/*/*.warc.gz"))


@pytest.fixture(scope="session")
def paper_build(mirror: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from corpus import build_cc_news

    out = tmp_path_factory.mktemp("paper") / "out"
    build_cc_news(mirror, out, *PAPER_WINDOW)
    return out


@pytest.fixture(scope="session")
def full_build(mirror: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from corpus import build_cc_news

    out = tmp_path_factory.mktemp("full") / "out"
    build_cc_news(mirror, out, *ALL_MONTHS, tasks=2)
    return out


def planted_eval(folder: Path, sentences: list[str]) -> Path:
    """A GLUE-layout folder whose ``MRPC/dev.tsv`` holds ``sentences`` as ``#1 String`` (task ``mrpc-dev``)."""
    tsv = folder / "MRPC" / "dev.tsv"
    tsv.parent.mkdir(parents=True, exist_ok=True)
    rows = ["Quality\t#1 ID\t#2 ID\t#1 String\t#2 String"]
    rows += [
        f"1\t{i}\t{i + 1}\t{s}\tA second sentence found in no corpus document ."
        for i, s in enumerate(sentences)
    ]
    tsv.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return folder


def window_of(text: str, start: int = 20, words: int = 20) -> str:
    """``words`` whitespace words of ``text`` from word ``start`` (a passage an evaluation set could quote)."""
    return " ".join(text.split()[start : start + words])


@pytest.fixture(scope="session")
def decontam_build(mirror: Path, paper_build: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """``corpus build cc-news --decontaminate EVAL`` over the paper window, run through the real CLI, where
    EVAL quotes 20 words of the longest document of ``paper_build`` (the same build without decontamination)."""
    from corpus.cli import main
    from corpus.formats import read_documents

    docs = sorted(read_documents(paper_build), key=lambda d: -len(d["text"].split()))
    target = docs[0]
    root = tmp_path_factory.mktemp("decontam-build")
    evals = planted_eval(root / "glue", [window_of(target["text"])])
    out = root / "out"
    argv = ["build", "cc-news", "--source", str(mirror), "--from", PAPER_WINDOW[0], "--to", PAPER_WINDOW[1]]
    argv += ["--output", str(out), "--decontaminate", str(evals), "--quiet"]
    assert main(argv) == 0
    return {"out": out, "argv": argv, "evals": evals, "target": target, "docs": docs}
