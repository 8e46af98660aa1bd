"""``corpus report`` over two real builds of the CC-NEWS mirror (one decontaminated), through the real CLI:
its counts match the shards read directly (a slow obvious reference: decompress, split lines, count), its drop
and duplicate tables are the builds' stats.json, its contamination table is the build's, and its PNGs are
valid PNG images."""

from __future__ import annotations

import bisect
import json
from collections import Counter
from pathlib import Path
from urllib.parse import urlparse

import zstandard
from corpus.cli import main

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
EDGES = [0, 50, 100, 200, 300, 500, 750, 1000, 1500, 2000, 3000, 5000, 10000]


def reference(folder: Path) -> list[dict]:
    """Every document of the folder's top-level shards, read the plain way."""
    docs = []
    for shard in sorted(folder.glob("*.jsonl.zst")):
        raw = zstandard.ZstdDecompressor().decompressobj().decompress(shard.read_bytes())
        docs += [json.loads(line) for line in raw.decode("utf-8").splitlines() if line.strip()]
    return docs


def test_report_counts_match_the_shards(paper_build, decontam_build, tmp_path, capsys):
    folders = [paper_build, decontam_build["out"]]
    png, md, js = tmp_path / "png", tmp_path / "report.md", tmp_path / "headline.json"
    argv = ["report", *map(str, folders), "--png", str(png), "--output", str(md), "--json", str(js)]
    assert main(argv) == 0
    text = md.read_text()
    docs = [d for f in folders for d in reference(f)]
    head = json.loads(js.read_text())
    assert head["documents"] == len(docs)
    assert head["words"] == sum(len(d["text"].split()) for d in docs)
    assert head["text_bytes"] == sum(len(d["text"].encode("utf-8")) for d in docs)
    assert head["documents_contaminated"] == 1
    assert f"{len(docs):,} documents" in text

    per_month: dict[str, list[int]] = {}
    for d in docs:
        row = per_month.setdefault(d["date"][:7], [0, 0])
        row[0] += 1
        row[1] += len(d["text"].split())
    for month, (n, words) in per_month.items():
        assert f"| {month} | cc-news | {n:,} | {words:,} |" in text

    bins = Counter(bisect.bisect_right(EDGES, len(d["text"].split())) - 1 for d in docs)
    for i, lo in enumerate(EDGES):
        label = f"{lo}+" if i == len(EDGES) - 1 else f"{lo}-{EDGES[i + 1] - 1}"
        assert f"| {label} | {bins.get(i, 0):,} |" in text

    hosts = Counter(urlparse(d["url"]).netloc.lower().removeprefix("www.") for d in docs)
    top = sorted(hosts.items(), key=lambda kv: (-kv[1], kv[0]))[:20]
    domain_rows = [line for line in text.split("## Top domains")[1].splitlines() if line.startswith("| ")][1:]
    assert [r.split(" | ")[0][2:] for r in domain_rows[:20]] == [h for h, _ in top]

    for folder in folders:
        stats = json.loads((folder / "stats.json").read_text())
        for reason, n in stats["dropped"].items():
            assert f"| {reason} | {n:,} |" in text, reason
        dup = stats["duplicates_removed"]
        assert f"| {folder.name} | {dup['url']:,} | {dup['text']:,} | {dup['near']:,} |" in text
    assert "| mrpc-dev | 1 | 1 | 1 | 100.00 | 1 |" in text  # the decontaminated build's table

    names = sorted(p.name for p in png.iterdir())
    assert names == sorted(
        ["mix_table.png", "docs_per_month.png", "length_histogram.png", "drops.png", "duplicates.png",
         "top_domains.png", "contamination.png"]
    )  # fmt: skip
    import matplotlib.image

    for p in png.iterdir():
        assert p.read_bytes()[:8] == PNG_MAGIC
        h, w, _ = matplotlib.image.imread(p).shape
        assert h > 100 and w > 100
        assert f"](png/{p.name})" in text  # linked relative to the markdown file


def test_report_bad_folder_is_one_error_line(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["report", str(tmp_path / "empty")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "no *.jsonl.zst corpus shards" in err and err.count("\n") == 1
    assert main(["report", str(tmp_path / "missing")]) == 2
    assert "no such folder" in capsys.readouterr().err
