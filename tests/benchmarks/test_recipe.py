"""The recipe: Table 10 defaults, typed overrides, and the sweep -> seeds -> median selection on a hand-made case."""

from __future__ import annotations

import pytest
from benchmarks.errors import BenchError
from benchmarks.sweep import cell_name, glue_recipe, quick, select_best, sweep_cells
from benchmarks.sweep import override_recipe as apply_overrides


def test_glue_defaults_are_table_10():
    r = glue_recipe()
    assert (r.batch_sizes, r.lrs, r.epochs, r.warmup_ratio, r.weight_decay) == (
        (16, 32),
        (1e-5, 2e-5, 3e-5),
        10,
        0.06,
        0.1,
    )
    assert len(r.seeds) == 5 and len(sweep_cells(r)) == 2 * 3 * 5
    q = quick(r)
    assert len(sweep_cells(q)) == 1 and q.max_train_examples


def test_overrides_are_typed_and_unknown_keys_fail():
    r = apply_overrides(
        glue_recipe(), ["--recipe.lrs=1e-5,3e-5", "--recipe.epochs=3", "--recipe.max_train_examples=none"]
    )
    assert r.lrs == (1e-5, 3e-5) and r.epochs == 3 and r.max_train_examples is None
    with pytest.raises(BenchError, match="unknown setting"):
        apply_overrides(r, ["--recipe.epoch=3"])
    with pytest.raises(BenchError, match="bad value"):
        apply_overrides(r, ["--recipe.epochs=three"])


def _cell(b, lr, seed, score):
    return {"batch_size": b, "lr": lr, "seed": seed, "score": score}


def test_select_best_uses_median_over_seeds_not_max():
    # (16, 1e-5) has the single best run (0.99) but median 0.60; (32, 2e-5) has median 0.80 -> it wins.
    cells = [
        _cell(16, 1e-5, s, v) for s, v in zip([1, 2, 3, 4, 5], [0.99, 0.60, 0.55, 0.50, 0.70], strict=True)
    ]
    cells += [
        _cell(32, 2e-5, s, v) for s, v in zip([1, 2, 3, 4, 5], [0.81, 0.79, 0.80, 0.20, 0.85], strict=True)
    ]
    cells += [_cell(16, 3e-5, s, v) for s, v in zip([3, 1, 2], [0.75, 0.78, 0.70], strict=True)]
    (b, lr), chosen, medians = select_best(cells)
    assert (b, lr) == (32, 2e-5)
    assert [c["seed"] for c in chosen] == [1, 2, 3, 4, 5]
    assert {(m["batch_size"], m["lr"]): m["median"] for m in medians} == {
        (16, 1e-5): 0.60,
        (32, 2e-5): 0.80,
        (16, 3e-5): 0.75,
    }


def test_select_best_tie_goes_to_first_in_sweep_order_and_names_are_stable():
    (b, lr), _, _ = select_best([_cell(16, 1e-5, 1, 0.5), _cell(32, 1e-5, 1, 0.5)])
    assert (b, lr) == (16, 1e-5)
    assert cell_name(16, 2e-5, 3) == "bs16_lr2e-05_seed3"
    with pytest.raises(BenchError):
        select_best([])


def test_seeds_flag_sets_seeds_one_to_n():
    import argparse

    from benchmarks.cli import _recipe

    r = _recipe(argparse.Namespace(seeds=3), glue_recipe(), ["--recipe.epochs=4"])
    assert r.seeds == (1, 2, 3) and r.epochs == 4
    with pytest.raises(BenchError, match="--seeds"):
        _recipe(argparse.Namespace(seeds=0), glue_recipe(), [])
