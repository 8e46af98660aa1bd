"""``bench paper --table 2 --scale tiny`` end to end on the real sample data (slow: ~30 min on a busy 2-core
CPU): shards from the english_text Reuters sample, four pretraining rows, SST-2 finetuning, table and plot."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from benchmarks.cli import main

sys.path.insert(0, str(Path(__file__).parents[1] / "trainer"))
from make_shards import make_shards  # noqa: E402


@pytest.mark.slow
def test_table2_tiny_end_to_end(sample_data: Path, tmp_path: Path) -> None:
    shards, tok = make_shards(tmp_path / "corpus", sample_data, docs=3000, vocab=4096)
    out = tmp_path / "paper"
    rc = main(
        [
            "paper",
            "--table",
            "2",
            "--scale",
            "tiny",
            "--corpus",
            str(shards),
            "--tokenizer",
            str(tok),
            "--glue",
            str(sample_data / "glue"),
            "--out",
            str(out),
            "--seeds",
            "1",
        ]
    )
    assert rc == 0
    table = json.loads((out / "table2-tiny.json").read_text())
    rows = {r["key"]: r for r in table["rows"]}
    assert list(rows) == ["segment-pair", "sentence-pair", "full-sentences", "doc-sentences"]
    for key, row in rows.items():
        assert 50 <= row["scores"]["sst2"]["score"] <= 100, key
        assert row["valid_ppl"] < row["curve"][0]["ppl"], f"{key}: held-out perplexity falls"
        cfg = json.loads((out / "runs" / key / "seed1" / "config.json").read_text())
        assert cfg["model"]["nsp"] == key.endswith("-pair") and cfg["data"]["format"] == key
    seqs = [
        json.loads(line).get("seqs")
        for line in (out / "runs" / "doc-sentences" / "seed1" / "metrics.jsonl").read_text().splitlines()
    ]
    assert len({s for s in seqs if s is not None}) > 1, "DOC-SENTENCES batches vary in size"
    md = (out / "table2-tiny.md").read_text()
    assert "SEGMENT-PAIR (+NSP)" in md and "90.4" in md
    assert (out / "table2-tiny.png").stat().st_size > 10_000
