"""``bench paper`` statistics: mean ± sd over pretraining seeds, paired CIs and verdicts on hand-made results."""

from __future__ import annotations

import math

import pytest
from benchmarks.paper.cost import estimate
from benchmarks.paper.report import markdown
from benchmarks.paper.spec import SCALES, TABLES
from benchmarks.paper.stats import OPPOSITE, SAME, UNRESOLVED, aggregate, compare, comparisons

T_975_DF2 = 4.302652729911275  # Student's t, 97.5th percentile, 2 degrees of freedom (tables)


def test_paired_interval_by_hand_and_both_resolved_verdicts():
    base, var = [90.0, 91.0, 90.5], [91.0, 92.1, 91.4]
    diffs = [1.0, 1.1, 0.9]  # variant - baseline per seed
    mean = sum(diffs) / 3
    sd = math.sqrt(sum((d - mean) ** 2 for d in diffs) / 2)
    half = T_975_DF2 * sd / math.sqrt(3)
    c = compare(base, var, paper_diff=0.4)
    assert c["diff"] == pytest.approx(mean) and c["sd"] == pytest.approx(sd) and c["n"] == 3
    assert c["ci"] == pytest.approx([mean - half, mean + half])
    assert c["p"] < 0.01 and c["verdict"] == SAME
    assert compare(base, var, paper_diff=-0.4)["verdict"] == OPPOSITE
    assert compare(var, base, paper_diff=-0.2)["verdict"] == SAME  # both lower
    assert compare(var, base, paper_diff=0.2)["verdict"] == OPPOSITE


def test_unresolved_verdicts():
    noisy = compare([90.0, 91.0, 90.5], [89.0, 93.0, 90.6], paper_diff=0.4)
    assert noisy["ci"][0] < 0 < noisy["ci"][1] and noisy["verdict"] == UNRESOLVED
    one = compare([90.0], [95.0], paper_diff=0.4)
    assert one["n"] == 1 and math.isnan(one["ci"][0]) and one["verdict"] == UNRESOLVED
    assert compare([1.0, 2.0], [3.0, 4.1], paper_diff=None)["verdict"] == UNRESOLVED  # no paper number
    assert compare([1.0, 2.0], [3.0, 4.1], paper_diff=0.0)["verdict"] == UNRESOLVED  # paper: no difference
    shift = compare([1.0, 2.0, 3.0], [1.5, 2.5, 3.5], paper_diff=1.0)  # identical shift: no spread
    assert shift["ci"] == pytest.approx([0.5, 0.5]) and shift["verdict"] == SAME


def _row(key: str, label: str, ppl: list[float], sst2: list[float], paper: dict) -> dict:
    seeds = [
        {"seed": i + 1, "valid_ppl": p, "scores": {"sst2": {"score": s, "metric": "acc"}}}
        for i, (p, s) in enumerate(zip(ppl, sst2, strict=True))
    ]
    return {"key": key, "label": label, "seeds": seeds, "paper": paper, **aggregate(seeds)}


def test_table_comparisons_use_the_paper_rows_and_columns():
    static = _row("static", "static", [50.0, 52.0, 51.0], [70.0, 71.0, 72.0], TABLES["1"].rows[0].paper)
    dynamic = _row("dynamic", "dynamic", [48.0, 50.5, 49.0], [71.0, 72.5, 73.0], TABLES["1"].rows[1].paper)
    assert static["valid_ppl"] == pytest.approx(51.0) and static["valid_ppl_sd"] == pytest.approx(1.0)
    assert static["scores"]["sst2"]["score"] == pytest.approx(71.0)
    comps = {c["measure"]: c for c in comparisons("1", [static, dynamic])}
    assert set(comps) == {"ppl", "sst2"}
    assert comps["sst2"]["paper_diff"] == pytest.approx(92.9 - 92.5)  # dynamic - static in Table 1
    assert comps["sst2"]["diff"] == pytest.approx(1.1666667) and comps["sst2"]["verdict"] == SAME
    assert comps["ppl"]["paper_diff"] is None and comps["ppl"]["verdict"] == UNRESOLVED  # no ppl in Table 1
    rows = [
        {**static, "tokens_seen": 1000, "format": "full-sentences", "batch_size": 16, "steps": 8, "lr": 1e-3},
        {
            **dynamic,
            "tokens_seen": 1000,
            "format": "full-sentences",
            "batch_size": 16,
            "steps": 8,
            "lr": 1e-3,
        },
    ]
    md = markdown(TABLES["1"], SCALES["tiny"], rows, seeds=3)
    assert "51.00 ± 1.00" in md and "71.0 ± 1.0" in md
    assert "| dynamic vs static | SST-2 | +1.2 |" in md and SAME in md


def test_table3_ppl_has_a_paper_difference():
    rows = [
        _row(r.key, r.label, [10.0 - i, 11.0 - i, 10.5 - i], [60.0, 61.0, 62.0], r.paper)
        for i, r in enumerate(TABLES["3"].rows)
    ]
    comps = [c for c in comparisons("3", rows) if c["measure"] == "ppl"]
    assert [round(c["paper_diff"], 2) for c in comps] == [-0.31, -0.22]
    assert [c["verdict"] for c in comps] == [SAME, SAME]  # lower perplexity, as the paper, with no spread


def test_cost_estimate_grows_with_seeds_and_scale():
    tiny1, tiny3 = estimate(TABLES["1"], SCALES["tiny"], 1), estimate(TABLES["1"], SCALES["tiny"], 3)
    assert tiny3.runs == 6 and tiny1.runs == 2
    assert tiny3.pretrain_flops == pytest.approx(3 * tiny1.pretrain_flops)
    assert (
        "CPU-hours" in tiny3.describe() and "GPU-hours" in estimate(TABLES["1"], SCALES["base"], 3).describe()
    )
    assert (
        estimate(TABLES["3"], SCALES["base"], 3).hours > 100 * estimate(TABLES["3"], SCALES["small"], 3).hours
    )
