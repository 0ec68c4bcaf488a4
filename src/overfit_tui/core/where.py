"""A query over runs' specs and results: `train.lr>=0.01 params.corruption=1 test_acc<0.2
status:finished tag:paper cnn`.

Every term must hold. A term is
- `KEY OP VALUE` with OP one of `>= <= != = == > <`: KEY a dotted spec key (`train.lr`,
  `params.corruption`, `data.n_train`) or a summary key (`test_acc`); numbers compare as numbers,
  anything else as case-insensitive text (`=` and `!=` only);
- `NAME:VALUE` for status, tag, study, preset, group, device (`tag:` holds when any tag is VALUE);
- a bare word, which must appear in the run's text (label, study, data, model, tags, ...).
A key no run has is an error naming it, with the nearest key that exists ("did you mean
'train.lr'?"); a run that lacks a key some other run has does not match the term. So is every
term that cannot mean what it says: an operator that is not one (`>>`, `=>`), an order against
text (`test_acc>abc`), a status that does not exist (`status:finshed`), a misspelt name
(`stauts:finished`). `group:` takes a prefix of the group's id, as the commands' references do. The matcher
reads a run through a `get(key)` callable, so any record type can be queried.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from overfit_tui.core.errors import OverfitError, did_you_mean
from overfit_tui.core.records import RunRecord
from overfit_tui.core.status import STATES

OPS = (">=", "<=", "!=", "==", "=", ">", "<")
NAMED = ("status", "tag", "study", "preset", "group", "device")
_TERM = re.compile(r"^([A-Za-z_][\w.]*)(>=|<=|!=|==|=|>|<)(.+)$")
_NAMED = re.compile(r"^(" + "|".join(NAMED) + r"):(.+)$", re.IGNORECASE)
MISSING = object()


class QueryError(OverfitError):
    """A query term names no field any run has, or cannot be read."""


@dataclass(frozen=True)
class Term:
    key: str  # '' for a bare word
    op: str  # an OP, ':' for a named term, 'word' for a bare word
    value: Any  # float for numbers, str otherwise

    def holds(self, get: Callable[[str], Any], text: str) -> bool:
        if self.op == "word":
            return self.value in text
        have = get(self.key)
        if self.op == ":":
            if self.key == "tag":
                return any(str(t).lower() == self.value for t in (have or ()))
            if have is MISSING or have is None:
                return False
            if self.key == "group":  # an id prefix, as `overfit-tui show GROUP` takes it
                return str(have).lower().startswith(self.value)
            return str(have).lower() == self.value
        if have is MISSING or have is None:
            return False
        return _compare(have, self.op, self.value)


def _number(v: Any) -> float | None:
    if isinstance(v, bool):
        return float(v)
    if isinstance(v, int | float):
        return float(v)
    if isinstance(v, str):
        try:
            return float(v)
        except ValueError:
            return None
    return None


def _compare(have: Any, op: str, want: Any) -> bool:
    if isinstance(have, list | tuple):  # a swept list: any element
        return any(_compare(h, op, want) for h in have)
    a, b = _number(have), _number(want)
    if a is not None and b is not None:
        if math.isnan(a):
            return op == "!="
        match op:
            case "=" | "==":
                return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
            case "!=":
                return not math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
            case ">=":
                return a >= b
            case "<=":
                return a <= b
            case ">":
                return a > b
            case "<":
                return a < b
        raise KeyError(op)  # the parser admits only the operators above
    if op in ("=", "=="):
        return str(have).lower() == str(want).lower()
    if op == "!=":
        return str(have).lower() != str(want).lower()
    return False  # an order between text and a number, or two texts: no match


@dataclass(frozen=True)
class Where:
    """A parsed query: every term must hold."""

    terms: tuple[Term, ...]

    def __bool__(self) -> bool:
        return bool(self.terms)

    def match(self, get: Callable[[str], Any], text: str = "") -> bool:
        low = text.lower()
        return all(t.holds(get, low) for t in self.terms)


def parse_where(text: str, known: Iterable[str] | None = None) -> Where:
    """The query in `text`; with `known` (the keys the runs have), an unknown key is a QueryError."""
    known_set = set(known) if known is not None else None
    terms = []
    for raw in text.split():
        m = _NAMED.match(raw)
        if m:
            name, value = m.group(1).lower(), m.group(2).lower()
            if name == "status" and value not in STATES:
                raise QueryError(f"query term '{raw}': no status '{value}' ({did_you_mean(value, STATES)})")
            terms.append(Term(name, ":", value))
            continue
        m = _TERM.match(raw)
        if m:
            key, op, value = m.groups()
            if known_set is not None and key not in known_set:
                raise QueryError(f"query term '{raw}': no run has the field '{key}' ({did_you_mean(key, known_set)})")
            if value[0] in "<>=!":
                raise QueryError(f"query term '{raw}': '{op}{value[0]}' is not an operator; one of {' '.join(OPS)}")
            num = _number(value)
            if num is None and op in ("<", ">", "<=", ">="):
                raise QueryError(f"query term '{raw}': '{op}' compares numbers and '{value}' is not one")
            terms.append(Term(key, op, num if num is not None and value.lower() not in ("nan",) else value))
            continue
        if any(op in raw for op in OPS):
            raise QueryError(f"query term '{raw}': write KEY OP VALUE with OP one of {' '.join(OPS)}")
        if (near := _near_named(raw)) is not None:
            raise QueryError(f"query term '{raw}': no term '{raw.split(':')[0]}:' (did you mean '{near}:'?)")
        terms.append(Term("", "word", raw.lower()))
    return Where(tuple(terms))


def _near_named(raw: str) -> str | None:
    """The named term a `NAME:VALUE` word misspells (`stauts:finished` -> 'status'), else None:
    a bare word may hold a colon ('1x512:'), a misspelt name must not pass as one."""
    name, sep, value = raw.partition(":")
    if not sep or not value or not name.isalpha():
        return None
    close = difflib.get_close_matches(name.lower(), NAMED, n=1, cutoff=0.7)
    return close[0] if close else None


def flatten(d: Mapping, prefix: str = "") -> dict[str, Any]:
    """A nested spec as dotted keys: {'train': {'lr': 0.1}} -> {'train.lr': 0.1}."""
    out: dict[str, Any] = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, Mapping):
            out.update(flatten(v, key + "."))
        else:
            out[key] = v
    return out


SUMMARY = "summary."  # a result may be named with this prefix too: summary.test_acc


def record_fields(rec: RunRecord, flat_spec: Mapping | None = None) -> dict[str, Any]:
    """A run record's queryable fields: its spec's dotted keys, its summary keys (bare and as
    `summary.KEY`), and the named ones (status, tag, study, preset, group, device, id, label).
    `flat_spec`: the spec already flattened (the Runs screen keeps rows without the full spec)."""
    out: dict[str, Any] = dict(flat_spec if flat_spec is not None else flatten(rec.spec_data))
    for k, v in rec.summary.items():
        out.setdefault(k, v)
        out[SUMMARY + k] = v
    named = (rec.status, rec.study, rec.preset, rec.group, rec.device, rec.id, rec.label)
    for k, v in zip(("status", "study", "preset", "group", "device", "id", "label"), named):
        if v is not None:
            out[k] = str(v)
    out["tag"] = list(rec.tags)
    return out


def known_fields(field_sets: Iterable[Mapping]) -> set[str]:
    """Every key any of the runs has (and the named ones): what a query may name."""
    keys = set(NAMED) | {"id", "label"}
    for f in field_sets:
        keys.update(f)
    return keys


def filter_records(records: Iterable[RunRecord], query: str) -> list[RunRecord]:
    """The records the query accepts (bare words match the run's label, study, group, status,
    tags and notes); QueryError for a term no record can answer, with the nearest field."""
    records = list(records)
    fields = [record_fields(r) for r in records]
    where = parse_where(query, known_fields(fields))
    return [r for r, f in zip(records, fields) if where.match(getter(f), record_text(r))]


def record_text(rec: RunRecord) -> str:
    """What a bare word is looked for in."""
    parts = [rec.label, rec.study, rec.group, rec.status, rec.device, rec.preset, rec.notes]
    return " ".join(str(p) for p in [*(p or "" for p in parts), *rec.tags])


def getter(fields: Mapping) -> Callable[[str], Any]:
    """`Where.match`'s reader over a run's fields (record_fields)."""
    return lambda key: fields.get(key, MISSING)


def split_query(text: str) -> tuple[str, str]:
    """(field terms, bare words) of a query: a filter that matches words its own way (the Runs
    screen's whole name parts and id prefixes) passes only the field terms here."""
    fields, words = [], []
    for raw in text.split():
        named = _NAMED.match(raw) or _near_named(raw) is not None
        (fields if named or any(op in raw for op in OPS) else words).append(raw)
    return " ".join(fields), " ".join(words)
