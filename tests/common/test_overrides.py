"""common.overrides: the one --section.field=value parser, checked against a slow obvious reference."""

from __future__ import annotations

import dataclasses
from typing import Literal

import pytest
from common import OverrideError, apply_overrides
from hypothesis import given
from hypothesis import strategies as st


@dataclasses.dataclass(frozen=True, kw_only=True)
class Inner:
    lr: float = 1e-4
    steps: int = 10
    name: str = "a"
    flag: bool = False
    limit: int | None = None
    tasks: tuple[str, ...] = ("x",)
    sizes: tuple[int, ...] = (1, 2)
    kind: Literal["fast", "slow"] = "fast"


@dataclasses.dataclass(frozen=True, kw_only=True)
class Outer:
    inner: Inner = dataclasses.field(default_factory=Inner)
    top: int = 3


def test_each_type_is_parsed_from_its_annotation() -> None:
    cfg = apply_overrides(
        Outer(),
        [
            "--inner.lr=6e-4",
            "--inner.steps=7",
            "--inner.name=b=c",  # only the first '=' splits
            "--inner.flag=yes",
            "--inner.limit=5",
            "--inner.tasks=rte, mrpc",
            "--inner.sizes=3,4",
            "--inner.kind=slow",
            "--top=9",
        ],
    )
    assert cfg == Outer(
        inner=Inner(
            lr=6e-4, steps=7, name="b=c", flag=True, limit=5, tasks=("rte", "mrpc"), sizes=(3, 4), kind="slow"
        ),
        top=9,
    )
    assert apply_overrides(cfg, ["--inner.limit=none", "--inner.flag=off"]).inner == dataclasses.replace(
        cfg.inner, limit=None, flag=False
    )


def test_later_overrides_win_and_the_input_is_untouched() -> None:
    base = Outer()
    assert apply_overrides(base, ["--top=1", "--top=2"]).top == 2
    assert base.top == 3


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ("--inner.nope=1", "unknown setting --inner.nope"),
        ("--nope.lr=1", "unknown setting --nope.lr"),
        ("--inner=1", "a section"),
        ("--top.x=1", "not a section"),
        ("--inner.steps=ten", "bad value for --inner.steps: 'ten' (expected int)"),
        ("--inner.flag=maybe", "bad value for --inner.flag"),
        ("--inner.kind=medium", "choose from fast, slow"),
        ("--inner.lr", "overrides look like --section.field=value"),
        ("inner.lr=1", "overrides look like --section.field=value"),
    ],
)
def test_bad_overrides_are_one_line_errors(item: str, message: str) -> None:
    with pytest.raises(OverrideError) as e:
        apply_overrides(Outer(), [item])
    assert message in str(e.value) and "\n" not in str(e.value)


def test_prefix_for_flat_dataclasses() -> None:
    assert apply_overrides(Inner(), ["--recipe.steps=4"], prefix="recipe").steps == 4
    with pytest.raises(OverrideError, match="known: --recipe.lr"):
        apply_overrides(Inner(), ["--steps=4"], prefix="recipe")


@given(
    steps=st.integers(-(10**12), 10**12),
    lr=st.floats(allow_nan=False, allow_infinity=False),
    name=st.text(st.characters(blacklist_categories=("Cs",)), max_size=20),
    flag=st.booleans(),
)
def test_round_trip_through_strings(steps: int, lr: float, name: str, flag: bool) -> None:
    """Reference: the value printed with str()/repr() parses back to itself."""
    want = Inner(steps=steps, lr=lr, name=name, flag=flag)
    items = [f"--steps={steps}", f"--lr={lr!r}", f"--name={name}", f"--flag={str(flag).lower()}"]
    assert apply_overrides(Inner(), items) == want
