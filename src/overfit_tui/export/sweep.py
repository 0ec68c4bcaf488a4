"""Any metric against any setting, and the hparams table, for a set of compared runs.

`sweep_figure` draws one summary field (y) against one spec key (x) that varies between the
runs: at each x, the mean over the runs that share it (their seeds) with a band of the kind
asked for (core/bands.py: 95 % t interval by default) and n in the legend. Keys that vary
between runs at the same x (label noise in a width x noise sweep) split the runs into one
line each; keys that move with x (`params.width` and `model.width`) do not. `hparams` is one
row per run: the spec keys that vary, then the summary fields, sortable by any column.
Headless: the compare screen and its export read these.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass

from overfit_tui.core.bands import band_title, sample_sd
from overfit_tui.core.records import RunRecord
from overfit_tui.core.schema import Field, Stat
from overfit_tui.export.compare import Comparison, flatten
from overfit_tui.export.formats import md_row
from overfit_tui.studies.base import Figure, Series

SEED_PREFIX = "seeds."  # what varies between replicates: pooled into a band, never an x or a line


def number(v) -> float | None:
    """A finite number out of a summary or spec value (a Stat reads as its mean), else None."""
    if isinstance(v, Stat):
        v = v.mean
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        return None
    return float(v)


def _flat(r: RunRecord) -> dict:
    return {"study": r.study, "group": r.group, **flatten(r.spec_data)}


def varying_keys(records: list[RunRecord]) -> list[str]:
    """Spec keys whose values differ between the runs, seeds and the label left out: params
    first (what a study sweeps), then model, data, train, then study and group."""
    flats = [_flat(r) for r in records]
    keys = {k for f in flats for k in f}
    out = [
        k for k in keys if k != "label" and not k.startswith(SEED_PREFIX) and len({repr(f.get(k)) for f in flats}) > 1
    ]
    order = ("params.", "model.", "data.", "train.")
    return sorted(out, key=lambda k: (next((i for i, p in enumerate(order) if k.startswith(p)), len(order)), k))


def setting_keys(records: list[RunRecord]) -> list[str]:
    """The varying spec keys that can be an x axis: a number in every run that has the key."""
    flats = [_flat(r) for r in records]
    return [
        k
        for k in varying_keys(records)
        if all(number(f[k]) is not None for f in flats if k in f) and sum(k in f for f in flats) >= 2
    ]


def default_metric(fields: list[Field]) -> int:
    """The field a sweep shows first: a test metric with a better direction, else any with one."""
    for pick in (lambda f: f.better and "test" in f.key, lambda f: f.better):
        i = next((i for i, f in enumerate(fields) if pick(f)), None)
        if i is not None:
            return i
    return 0


def metric_fields(c: Comparison) -> list[Field]:
    """The summary fields (declared by the runs' studies) with a number in at least one run."""
    return [f for f in c.fields() if any(number(r.summary.get(f.key)) is not None for r in c.records)]


def _conditions(records: list[RunRecord], x_key: str) -> list[str]:
    """The varying keys that differ between runs at the same x: each value set is one line."""
    flats = [_flat(r) for r in records]
    out = []
    for k in varying_keys(records):
        if k == x_key or k == "group":
            continue
        at_x: dict[str, set] = {}
        for f in flats:
            at_x.setdefault(repr(f.get(x_key)), set()).add(repr(f.get(k)))
        if any(len(v) > 1 for v in at_x.values()):
            out.append(k)
    # name a line by the keys that tell lines apart, not by every key that moves with them
    named, parts = [], {""}
    for k in out:
        finer = {_key(f, [*named, k]) for f in flats}
        if len(finer) > len(parts):
            named, parts = [*named, k], finer
    return named


def _key(flat: dict, keys: list[str]) -> str:
    return "\x00".join(repr(flat.get(k)) for k in keys)


def _short(v) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


@dataclass(frozen=True)
class Sweep:
    """A metric-vs-setting figure and what it rests on (for the screen's note and tests)."""

    figure: Figure
    runs_used: int  # runs with both the setting and a finite value of the metric
    runs_left: int  # the other marked runs (no such key, no value yet, a diverged run)


def sweep_figure(c: Comparison, y: Field, x_key: str, kind: str = "ci") -> Sweep:
    """`y` against `x_key`: per line, per x, the mean over runs with a `kind` band and n."""
    conds = _conditions(c.records, x_key)
    lines: dict[str, dict[float, list[float]]] = {}
    used = 0
    for r in c.records:
        f = _flat(r)
        x, v = number(f.get(x_key)), number(r.summary.get(y.key))
        if x is None or v is None:
            continue
        used += 1
        name = ", ".join(f"{k.split('.')[-1]}={_short(f.get(k))}" for k in conds) or y.label
        lines.setdefault(name, {}).setdefault(x, []).append(y.scale(v))
    series = []
    for name, pts in lines.items():
        xs = sorted(pts)
        vals = [pts[x] for x in xs]
        ns = [len(v) for v in vals]
        banded = max(ns) > 1  # the band's kind is applied where it is drawn (core/bands.edges)
        series.append(
            Series(
                name,
                tuple(xs),
                tuple(sum(v) / len(v) for v in vals),
                lo=tuple(min(v) for v in vals) if banded else None,
                hi=tuple(max(v) for v in vals) if banded else None,
                sd=tuple(sample_sd(v) for v in vals) if banded else None,
                n=max(ns),
                ns=tuple(ns) if len(set(ns)) > 1 else (),
            )
        )
    allx = [x for s in series for x in s.x]
    xlog = bool(allx) and min(allx) > 0 and max(allx) / min(allx) >= 50  # a sweep over decades reads on log x
    n_text = next((s.n_text for s in series if s.n_text), "")
    title = f"{y.label} vs {x_key}" + (f" · {band_title(kind, n_text)}" if n_text else "")
    ylabel = y.header + (" (%)" if y.unit == "%" else "")
    fig = Figure(f"sweep-{y.key}-vs-{x_key}", title, x_key, ylabel, tuple(series), xlog=xlog)
    return Sweep(fig, used, len(c.records) - used)


# -- the hparams table -----------------------------------------------------------------------


@dataclass(frozen=True)
class HParams:
    """One row per run: id, name, status, the varying spec keys, then the summary fields."""

    headers: list[str]
    keys: list[str]  # what each column is: 'id', 'name', 'status', a spec key, or 'summary.<key>'
    values: list[list]  # raw values, for sorting and CSV
    cells: list[list[str]]  # as a table shows them (fields formatted by their declaration)


def hparams(c: Comparison, sort: int = 0, reverse: bool = False) -> HParams:
    """The marked runs' hparams table, sorted by column `sort` (numbers before text, missing last)."""
    spec_keys = varying_keys(c.records)
    fields = c.fields()
    headers = ["run", "name", "status", *spec_keys, *(f.header for f in fields)]
    keys = ["id", "name", "status", *spec_keys, *(f"summary.{f.key}" for f in fields)]
    sort = max(0, min(sort, len(headers) - 1))
    values, cells = [], []
    for r, name, row in zip(c.records, c.names, c.summary_cells()):
        f = _flat(r)
        s = r.summary
        spec_vals = [f.get(k) for k in spec_keys]
        values.append([r.id, name, str(r.status), *spec_vals, *(s.get(fl.key) for fl in fields)])
        cells.append([r.id[:8], name, str(r.status), *("-" if v is None else _short(v) for v in spec_vals), *row])
    order = sorted(range(len(values)), key=lambda i: _sort_key(values[i][sort]), reverse=reverse)
    if reverse:  # missing values stay last either way
        order = [i for i in order if values[i][sort] is not None] + [i for i in order if values[i][sort] is None]
    return HParams(headers, keys, [values[i] for i in order], [cells[i] for i in order])


def _sort_key(v):
    n = number(v)
    if n is not None:
        return (0, n, "")
    return (1 if v is not None else 2, 0.0, "" if v is None else str(v))


def hparams_csv(h: HParams) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(h.keys)
    for row in h.values:
        w.writerow(["" if v is None else (v.mean if isinstance(v, Stat) else v) for v in row])
    return buf.getvalue()


def hparams_markdown(h: HParams) -> str:
    out = [f"# Hyperparameters and results of {len(h.values)} runs", "", md_row(h.headers)]
    out.append("|" + "---|" * len(h.headers))
    out += [md_row([v if j else h.values[i][0] for j, v in enumerate(row)]) for i, row in enumerate(h.cells)]
    return "\n".join(out) + "\n"
