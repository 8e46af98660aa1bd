"""``bench speed``: both loops run the same cell and the printed figures are the returned ones."""

from __future__ import annotations

import json

from benchmarks.cli import main


def test_speed_runs_both_loops_on_one_cell(tiny_hf, sample_data, tmp_path, capsys):
    out = tmp_path / "speed.json"
    argv = ["speed", "--checkpoint", str(tiny_hf), "--data", str(sample_data / "glue"), "--task", "rte"]
    argv += ["--train", "48", "--dev", "24", "--max-len", "64", "--threads", "1", "--json", str(out)]
    argv += ["--rounds", "2"]
    assert main(argv) == 0
    figures = json.loads(out.read_text())
    printed = capsys.readouterr().out
    ours, hf = figures["ours"], figures["hf_trainer"]
    assert figures["ratio"] == ours["examples_per_s"] / hf["examples_per_s"]
    assert set(ours["metrics"]) == set(hf["metrics"]) == {"acc"}
    assert f"speed-up: {figures['ratio']:.2f}x (wall)" in printed
    assert len(figures["runs"]["ours"]) == len(figures["runs"]["hf_trainer"]) == 2
    assert ours["examples_per_s"] == max(r["examples_per_s"] for r in figures["runs"]["ours"])
    assert ours["examples_per_cpu_s"] == 48 / ours["cpu_s"] and ours["cpu_s"] > 0
    assert (
        f"{ours['examples_per_s']:8.1f} examples/s" in printed and f"{hf['examples_per_s']:8.1f}" in printed
    )
