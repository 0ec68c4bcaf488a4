"""Frozen, typed, validated specs: the machinery every spec dataclass shares.

A spec is a frozen dataclass whose fields carry a one-line `help` in their metadata.
`from_dict` checks every key and type and names the offending key (with a "did you
mean" hint); `to_dict` round-trips; `spec_hash` is a stable id of the content.

Shared bounds, whatever the field: numbers are finite, integers fit in 64 bits, strings
are printable text of at most STR_MAX characters, lists hold at most LIST_MAX distinct
values, and a value nests at most DEPTH_MAX levels. Every numeric field declares its range
(`field(0.1, "...", range="(0, 100]")`, each value of a list too), checked by `from_dict` (and
by `check_ranges`, which the spec dataclasses call on construction) with an error naming the
key and the range; rules that tie several fields together stay in `__post_init__`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import types
import typing
from typing import Any, Literal, TypeVar, get_args, get_origin, get_type_hints

from overfit_tui.core.errors import SpecError, did_you_mean, show

S = TypeVar("S")

LIST_MAX = 1000  # values in one list: a sweep longer than this is a mistake (and would take hours to expand)
STR_MAX = 2000  # characters in one string value (a description is a sentence, not a file)
DEPTH_MAX = 8  # nesting of tables and lists in a preset or an override (a spec nests 3 deep)
INT_MAX = 2**63 - 1  # integers reach torch and numpy as int64


def field(default: Any, help: str, **kw) -> Any:
    """A spec field with its one-line meaning (and unit) as `help`; a numeric field also gives
    `range="[lo, hi]"` (a parenthesis for an open end; every value of a list is checked) and may
    give `why=` (the reason of the range, shown with it)."""
    if isinstance(default, (list, dict, set)):
        raise TypeError("spec defaults must be immutable: use a tuple")
    if "range" in kw:
        parse_range(kw["range"])  # a malformed range fails at import, not on a user's input
    return dataclasses.field(default=default, metadata={"help": help, **kw})


def parse_range(text: str) -> tuple[float, bool, float, bool]:
    """ "(0, 1e6]" -> (0.0, open, 1e6, closed): an interval written as the user reads it."""
    lo, sep, hi = text[1:-1].partition(", ")
    if not sep or text[0] not in "[(" or text[-1] not in "])":
        raise ValueError(f"a range is written [lo, hi], (lo, hi], [lo, hi) or (lo, hi), not {text!r}")
    return float(lo), text[0] == "(", float(hi), text[-1] == ")"


def range_problem(f: dataclasses.Field, value: Any, key: str) -> SpecError | None:
    """The error for a value (or a list's first value) outside field `f`'s declared range."""
    text = f.metadata.get("range")
    if text is None:
        return None
    lo, lo_open, hi, hi_open = parse_range(text)
    many = isinstance(value, (tuple, list))
    for i, v in enumerate(value if many else (value,)):
        if v is None or isinstance(v, bool) or not isinstance(v, (int, float)):
            continue
        below = v <= lo if lo_open else v < lo
        above = v >= hi if hi_open else v > hi
        if below or above:
            why = f" ({f.metadata['why']})" if f.metadata.get("why") else ""
            return SpecError(f"{key}[{i}]" if many else key, f"{show(v)} is out of range: must be in {text}{why}")
    return None


def check_ranges(spec: Any) -> None:
    """Every field of a spec dataclass inside its declared range (for `__post_init__`)."""
    for f in dataclasses.fields(spec):
        problem = range_problem(f, getattr(spec, f.name), f.name)
        if problem:
            raise problem


def field_help(cls, name: str) -> str:
    return next(f.metadata.get("help", "") for f in dataclasses.fields(cls) if f.name == name)


def _type_name(tp) -> str:
    origin = get_origin(tp)
    if origin is Literal:
        return " | ".join(repr(a) for a in get_args(tp))
    if origin in (typing.Union, types.UnionType):
        return " | ".join(_type_name(a) for a in get_args(tp))
    if origin is tuple:
        return f"list of {_type_name(get_args(tp)[0])}"
    if tp is type(None):
        return "none"
    return getattr(tp, "__name__", str(tp))


def _coerce(tp, value: Any, key: str) -> Any:
    """Check `value` against the annotation `tp`; return the canonical (frozen) value."""
    origin = get_origin(tp)
    if tp is Any:
        return value
    if origin in (typing.Union, types.UnionType):
        args = get_args(tp)
        if value is None and type(None) in args:
            return None
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _coerce(arg, value, key)
            except SpecError:
                continue
        raise SpecError(key, f"expected {_type_name(tp)}, got {show(value)}")
    if origin is Literal:
        choices = get_args(tp)
        if isinstance(value, (bool, dict, list)) or value not in choices:
            raise SpecError(key, f"unknown value {show(value)}, {did_you_mean(value, choices)}")
        return value
    if origin is tuple:
        if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
            raise SpecError(key, f"expected {_type_name(tp)}, got {show(value)}")
        if len(value) > LIST_MAX:
            raise SpecError(key, f"{len(value)} values: at most {LIST_MAX} in one list (split the sweep)")
        (item,) = [a for a in get_args(tp) if a is not Ellipsis][:1]
        out = tuple(_coerce(item, v, f"{key}[{i}]") for i, v in enumerate(value))
        seen: dict = {}
        for i, v in enumerate(out):
            try:
                j = seen.setdefault(v, i)
            except TypeError:  # unhashable: tables are compared by their canonical JSON
                j = seen.setdefault(canonical_json(v), i)
            if j != i:
                raise SpecError(
                    f"{key}[{i}]", f"{show(value[i])} is listed twice (also at [{j}]): a list runs each value once"
                )
        return out
    if dataclasses.is_dataclass(tp):
        if isinstance(value, tp):
            return value
        if not isinstance(value, dict):
            raise SpecError(key, f"expected a table of {tp.__name__} keys, got {show(value)}")
        return from_dict(tp, value, prefix=f"{key}.")
    if tp is bool:
        if not isinstance(value, bool):
            raise SpecError(key, f"expected true or false, got {show(value)}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise SpecError(key, f"expected an integer, got {show(value)}")
        if isinstance(value, float):
            if not math.isfinite(value) or not value.is_integer():
                raise SpecError(key, f"expected an integer, got {show(value)}")
            value = int(value)
        if abs(value) > INT_MAX:
            raise SpecError(key, f"{show(value)} is out of range (integers fit in 64 bits)")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise SpecError(key, f"expected a number, got {show(value)}")
        try:
            f = float(value)
        except OverflowError:
            f = math.inf
        if not math.isfinite(f):
            raise SpecError(key, f"expected a finite number, got {show(value)}")
        return f
    if tp is str:
        if not isinstance(value, str):
            raise SpecError(key, f"expected a string, got {show(value)}")
        if len(value) > STR_MAX:
            raise SpecError(key, f"{len(value)} characters: at most {STR_MAX}")
        if any(not (c.isprintable() or c in "\n\t") for c in value):
            raise SpecError(key, f"{show(value)} contains control characters")
        return value
    raise TypeError(f"unsupported spec type {tp!r} for {key}")


def from_dict(cls: type[S], data: dict[str, Any] | None, prefix: str = "") -> S:
    """Build and validate spec `cls` from a plain dict; missing keys take defaults."""
    if data is not None and not isinstance(data, dict):
        raise SpecError(
            prefix.rstrip(".") or cls.__name__, f"expected a table of {cls.__name__} keys, got {show(data)}"
        )
    data = dict(data or {})
    hints = get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    names = list(fields)
    kwargs = {}
    for key, value in data.items():
        if key not in names:
            raise SpecError(prefix + str(key), f"unknown key, {did_you_mean(key, names)}")
        kwargs[key] = _coerce(hints[key], value, prefix + key)
    try:
        obj = cls(**kwargs)  # the dataclass's own checks first: their reasons are the most specific
    except SpecError as e:
        raise SpecError(prefix + e.key, e.reason) from None
    for key, value in kwargs.items():  # then every declared range, whatever __post_init__ checked
        problem = range_problem(fields[key], value, prefix + key)
        if problem:
            raise problem
    return obj


def to_dict(spec: Any) -> Any:
    """A plain, JSON- and TOML-friendly dict (tuples become lists)."""
    if dataclasses.is_dataclass(spec):
        return {f.name: to_dict(getattr(spec, f.name)) for f in dataclasses.fields(spec)}
    if isinstance(spec, (list, tuple)):
        return [to_dict(v) for v in spec]
    if isinstance(spec, dict):
        return {k: to_dict(v) for k, v in spec.items()}
    return spec


def canonical_json(obj: Any) -> str:
    return json.dumps(to_dict(obj), sort_keys=True, separators=(",", ":"))


def spec_hash(spec: Any, length: int = 12) -> str:
    """Stable content hash: the same spec gives the same id on every machine."""
    return hashlib.sha256(canonical_json(spec).encode()).hexdigest()[:length]


def check(cond: bool, key: str, reason: str) -> None:
    """Raise a SpecError for `key` unless `cond` holds (used in __post_init__)."""
    if not cond:
        raise SpecError(key, reason)


def deep_merge(base: dict, override: dict) -> dict:
    """`override` on top of `base`, recursing into tables (presets only override defaults).

    A table over a list of tables applies to every one of them (`--set models.width=64`
    on a preset with two models sets both widths)."""
    out = dict(base)
    for k, v in override.items():
        cur = out.get(k)
        if isinstance(v, dict) and isinstance(cur, dict):
            out[k] = deep_merge(cur, v)
        elif isinstance(v, dict) and isinstance(cur, list) and cur and all(isinstance(c, dict) for c in cur):
            out[k] = [deep_merge(c, v) for c in cur]
        else:
            out[k] = v
    return out


def check_depth(value: Any, key: str = "", limit: int = DEPTH_MAX) -> None:
    """Refuse a value nested deeper than `limit` tables/lists (iteratively: no recursion to exhaust)."""
    nested = (dict, list, tuple)
    stack = [(value, 0, key)]
    while stack:
        v, depth, where = stack.pop()
        if depth > limit:
            raise SpecError(where or "value", f"nested more than {limit} levels deep")
        if isinstance(v, dict):
            stack += [
                (sub, depth + 1, f"{where}.{k}" if where else str(k)) for k, sub in v.items() if isinstance(sub, nested)
            ]
        elif isinstance(v, (list, tuple)):
            stack += [(sub, depth + 1, f"{where}[{i}]") for i, sub in enumerate(v) if isinstance(sub, nested)]


def set_path(data: dict, dotted: str, value: Any) -> dict:
    """Return a copy of `data` with `a.b.c = value` (for `--set a.b.c=value`; keys checked by the caller)."""
    head, _, rest = dotted.partition(".")
    out = dict(data)
    if rest:
        sub = out.get(head)
        out[head] = set_path(sub if isinstance(sub, dict) else {}, rest, value)
    else:
        out[head] = value
    return out
