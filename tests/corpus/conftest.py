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
