"""Typed ``--section.field=value`` overrides for frozen config dataclasses (unknown keys are errors).

Usage: ``cfg = apply_overrides(cfg, ["--extract.favor_precision=false", "--dedup.minhash_buckets=20"])``
"""

from __future__ import annotations

import dataclasses
import typing
from typing import Any

from corpus.errors import CorpusError

_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}


def _convert(raw: str, hint: Any, key: str) -> Any:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        if raw.lower() in ("none", "null") and type(None) in args:
            return None
        hint = next(a for a in args if a is not type(None))
        origin = typing.get_origin(hint)
    try:
        if hint is bool:
            if raw.lower() not in _TRUE | _FALSE:
                raise ValueError(raw)
            return raw.lower() in _TRUE
        if hint in (int, float, str):
            return hint(raw)
        if origin is tuple:
            return tuple(x.strip() for x in raw.split(",") if x.strip())
    except ValueError:
        raise CorpusError(
            f"bad value for --{key}: {raw!r} is not a {getattr(hint, '__name__', hint)}"
        ) from None
    raise CorpusError(f"--{key} cannot be set from the command line")


def apply_overrides(cfg: Any, items: list[str]) -> Any:
    """Return ``cfg`` with each ``--a.b=value`` (or ``--a=value``) applied, typed from the dataclass fields."""
    for item in items:
        if not item.startswith("--") or "=" not in item:
            raise CorpusError(f"unrecognized argument {item!r} (overrides look like --section.field=value)")
        key, raw = item[2:].split("=", 1)
        cfg = _set(cfg, key.split("."), raw, key)
    return cfg


def _set(obj: Any, path: list[str], raw: str, key: str) -> Any:
    fields = {f.name: f for f in dataclasses.fields(obj)}
    name = path[0].replace("-", "_")
    if name not in fields:
        raise CorpusError(f"unknown setting --{key} (known here: {', '.join(sorted(fields))})")
    current = getattr(obj, name)
    if len(path) > 1:
        if not dataclasses.is_dataclass(current):
            raise CorpusError(f"unknown setting --{key}")
        return dataclasses.replace(obj, **{name: _set(current, path[1:], raw, key)})
    hints = typing.get_type_hints(type(obj))
    return dataclasses.replace(obj, **{name: _convert(raw, hints[name], key)})
