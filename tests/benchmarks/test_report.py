"""``bench report``: medians beside the paper's numbers, and the PNG chart, from hand-written result files."""

from __future__ import annotations

from benchmarks.cli import main
from benchmarks.results import BenchResult, write_result


def _write(out, task, metric, metrics):
    seeds = list(range(1, len(metrics) + 1))
    write_result(
        out / f"{task}.json",
        BenchResult(
            task=task,
            metric=metric,
            seeds=seeds,
            per_seed=[m[metric] for m in metrics],
            metrics=metrics,
            config={},
            checkpoint="/ckpts/mine",
        ),
    )


def test_report_table_and_chart(tmp_path, capsys):
    res = tmp_path / "res"
    _write(res, "rte", "acc", [{"acc": 0.70}, {"acc": 0.80}, {"acc": 0.75}])  # median 75.0, paper base 78.7
    _write(res, "mnli", "acc_m", [{"acc_m": 0.85, "acc_mm": 0.84}, {"acc_m": 0.87, "acc_mm": 0.86}])
    _write(res, "squad2.0", "f1", [{"em": 80.0, "f1": 83.0, "HasAns_f1": 70.0}])
    png = tmp_path / "chart.png"
    assert main(["report", str(res), "--png", str(png), "--size", "base"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "| rte | acc | mine | 75.0 | 3 | 78.7 | 86.6 | -3.7 |" in lines
    assert "| mnli | acc_m | mine | 86.0 | 2 | 87.6 | 90.2 | -1.6 |" in lines
    assert "| mnli | acc_mm | mine | 85.0 | 2 | — | 90.2 | — |" in lines
    assert "| squad2.0 | f1 | mine | 83.0 | 1 | — | 89.4 | — |" in lines
    assert not any("HasAns" in line for line in lines)
    assert [line.split("|")[1].strip() for line in lines[2:6]] == ["mnli", "mnli", "rte", "squad2.0"]
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_report_errors_are_one_line(tmp_path, capsys):
    assert main(["report", str(tmp_path / "none")]) == 2
    assert capsys.readouterr().err.strip().startswith("error: no result file or folder")
    (tmp_path / "bad.json").write_text("{}")
    assert main(["report", str(tmp_path / "bad.json")]) == 2
    assert "expected roberta-bench-result" in capsys.readouterr().err
