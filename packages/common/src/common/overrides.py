"""Typed ``--section.field=value`` overrides for frozen config dataclasses: the one parser of every CLI.

Rules (the same in ``corpus``, ``python -m trainer`` and ``bench``):
- an override is ``--a.b.c=value``: a dotted path through nested dataclasses to one field;
- the value is typed by the field's annotation: ``bool`` (true/false, 1/0, yes/no, on/off), ``int``,
  ``float``, ``str``, ``X | None`` (``none``/``null`` gives None), ``tuple[X, ...]`` (a comma list of X),
  ``Literal[...]`` (one of the listed values);
- an unknown key, a path that stops at a section, or a bad value raises ``OverrideError`` (one line).

Usage: ``cfg = apply_overrides(cfg, ["--optim.lr=6e-4", "--run.out=runs/a"])``;
``recipe = apply_overrides(recipe, ["--recipe.lr=1e-5"], prefix="recipe")`` for a flat dataclass.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Sequence
from typing import Any, TypeVar

from common.errors import OverrideError

T = TypeVar("T")
_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}


def _name(hint: Any) -> str:
    return getattr(hint, "__name__", None) or str(hint).replace("typing.", "")


def convert(raw: str, hint: Any, key: str) -> Any:
    """``raw`` converted to the annotated type ``hint``; ``OverrideError`` naming ``--key`` otherwise."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if type(None) in args and raw.lower() in ("none", "null"):
            return None
        inner = [a for a in args if a is not type(None)]
        if len(inner) != 1:
            raise OverrideError(f"--{key} cannot be set from the command line")
        return convert(raw, inner[0], key)
    if origin is tuple:
        elem = args[0] if args else str
        return tuple(convert(x.strip(), elem, key) for x in raw.split(",") if x.strip())
    if origin is typing.Literal:
        for choice in args:
            if str(choice) == raw:
                return choice
        raise OverrideError(f"bad value for --{key}: {raw!r} (choose from {', '.join(map(str, args))})")
    try:
        if hint is bool:
            if raw.lower() not in _TRUE | _FALSE:
                raise ValueError(raw)
            return raw.lower() in _TRUE
        if hint in (int, float, str):
            return hint(raw)
    except ValueError:
        raise OverrideError(f"bad value for --{key}: {raw!r} (expected {_name(hint)})") from None
    raise OverrideError(f"--{key} cannot be set from the command line (type {_name(hint)})")


def set_field(cfg: T, key: str, raw: str) -> T:
    """``cfg`` with the field at dotted ``key`` set from the string ``raw``."""
    return _set(cfg, key.split("."), raw, key)


def _set(obj: Any, path: list[str], raw: str, key: str) -> Any:
    hints = typing.get_type_hints(type(obj))
    fields = [f.name for f in dataclasses.fields(obj)]
    name = path[0].replace("-", "_")
    if name not in fields:
        raise OverrideError(f"unknown setting --{key} (known here: {', '.join(fields)})")
    current = getattr(obj, name)
    if dataclasses.is_dataclass(current):
        if len(path) == 1:
            sub = [f.name for f in dataclasses.fields(current)]
            raise OverrideError(
                f"unknown setting --{key} (a section; set one of its fields: {', '.join(sub)})"
            )
        return dataclasses.replace(obj, **{name: _set(current, path[1:], raw, key)})
    if len(path) > 1:
        raise OverrideError(f"unknown setting --{key} ({'.'.join(path[:1])} is not a section)")
    return dataclasses.replace(obj, **{name: convert(raw, hints[name], key)})


def parse_override(item: str) -> tuple[str, str]:
    """Split ``--a.b=value`` into ``("a.b", "value")``; ``OverrideError`` when it has another shape."""
    if not item.startswith("--") or "=" not in item:
        raise OverrideError(f"unrecognized argument {item!r} (overrides look like --section.field=value)")
    key, raw = item[2:].split("=", 1)
    return key, raw


def apply_overrides(cfg: T, items: Sequence[str], *, prefix: str | None = None) -> T:
    """Return ``cfg`` with each ``--a.b=value`` applied in order, typed from the dataclass annotations.

    With ``prefix``, keys must read ``--prefix.field`` (for a flat dataclass such as a finetuning recipe).
    """
    for item in items:
        key, raw = parse_override(item)
        path = key
        if prefix is not None:
            head, dot, rest = key.partition(".")
            if head != prefix or not dot:
                known = ", ".join(f"--{prefix}.{f.name}" for f in dataclasses.fields(cfg))  # type: ignore[arg-type]
                raise OverrideError(f"unknown setting --{key} (known: {known})")
            path = rest
        cfg = _set(cfg, path.split("."), raw, key)
    return cfg
