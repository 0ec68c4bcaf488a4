"""Runs that differ only in their seeds are replicates: figures and tables show them as one
mean line with a seed band (its range and sample sd kept: core/bands.py draws any kind) and `n`, and one `Stat` (mean ± std) per table cell.

`replicates(runs)` groups them (same spec apart from seeds and label); `series_of` turns
each group's curves into one `Series`; `scalar_series` does the same for one number per run
(e.g. test error vs corruption p, several seeds at each p).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable

from overfit_tui.core.bands import sample_sd
from overfit_tui.core.schema import Stat
from overfit_tui.studies.base import RunData, Series


def base_label(r: RunData) -> str:
    """The run's label without its replicate tag (' s1', ' i0 o1 n2')."""
    i, o, n = r.seeds.init, r.seeds.order, r.seeds.noise
    tag = f"s{i}" if i == o == n else f"i{i} o{o} n{n}"
    return r.label.removesuffix(f" {tag}")


def replicate_key(r: RunData) -> str:
    spec = {k: v for k, v in r.spec.items() if k not in ("seeds", "label")}
    return json.dumps(spec, sort_keys=True, default=str)


def replicates(runs: Iterable[RunData]) -> list[tuple[str, list[RunData]]]:
    """(name, runs) per set of replicates, in first-seen order."""
    groups: dict[str, tuple[str, list[RunData]]] = {}
    for r in runs:
        groups.setdefault(replicate_key(r), (base_label(r), []))[1].append(r)
    return list(groups.values())


def curve(events: list[dict], kind: str, key: str, x: str = "step") -> tuple[tuple, tuple]:
    pts = [(e[x], e[key]) for e in events if e.get("kind") == kind and _finite(e.get(key)) and _finite(e.get(x))]
    return tuple(p[0] for p in pts), tuple(p[1] for p in pts)


def band(curves: list[tuple[tuple, tuple]]) -> Series | None:
    """Mean, min, max and sd over curves at each x any of them has (runs that stopped early drop out)."""
    at: dict[float, list[float]] = {}
    for xs, ys in curves:
        for xv, yv in zip(xs, ys):
            at.setdefault(xv, []).append(yv)
    if not at:
        return None
    xs = tuple(sorted(at))
    return Series(
        "",
        xs,
        tuple(sum(at[xv]) / len(at[xv]) for xv in xs),
        lo=tuple(min(at[xv]) for xv in xs),
        hi=tuple(max(at[xv]) for xv in xs),
        sd=tuple(sample_sd(at[xv]) for xv in xs),
        n=max(len(v) for v in at.values()),
        ns=tuple(len(at[xv]) for xv in xs),
    )


def replicate_series(name: str, curves: list) -> Series | None:
    """The replicates' (x, y) curves as one series: a single run's curve as it is, several as
    their mean with the min-max band and n; None without any."""
    if len(curves) == 1:
        return Series(name, *curves[0])
    if not curves:
        return None
    b = band(curves)
    return Series(name, b.x, b.y, lo=b.lo, hi=b.hi, sd=b.sd, n=len(curves), ns=b.ns)


def series_of(runs, kind: str, key: str, x: str = "step") -> tuple[Series, ...]:
    """One series per set of replicates: the run's own curve, or the mean with a band and n."""
    out = []
    for name, rs in replicates(runs):
        curves = [c for c in (curve(r.events, kind, key, x) for r in rs) if c[0]]
        if (s := replicate_series(name, curves)) is not None:
            out.append(s)
    return tuple(out)


def scalar_series(
    name: str, runs: Iterable[RunData], x: Callable[[RunData], float], y: Callable[[RunData], float | None]
) -> Series:
    """One point per distinct x: the mean of y over the runs there, with min-max band and n."""
    at: dict[float, list[float]] = {}
    for r in runs:
        yv = y(r)
        if _finite(yv):
            at.setdefault(x(r), []).append(float(yv))
    xs = tuple(sorted(at))
    n = max((len(v) for v in at.values()), default=0)
    mean = tuple(sum(at[v]) / len(at[v]) for v in xs)
    if n <= 1:
        return Series(name, xs, mean, points=len(xs) < 2)
    lo, hi = tuple(min(at[v]) for v in xs), tuple(max(at[v]) for v in xs)
    ns = tuple(len(at[v]) for v in xs)  # the same at every x unless some runs lack a value there
    sd = tuple(sample_sd(at[v]) for v in xs)
    return Series(name, xs, mean, points=len(xs) < 2, lo=lo, hi=hi, sd=sd, n=n, ns=ns)


def point_curve(r: RunData, name: str, key: str) -> tuple[tuple, tuple]:
    pts = [(e["x"], e["values"][key]) for e in r.points(name) if key in e.get("values", {})]
    return tuple(p[0] for p in pts), tuple(p[1] for p in pts)


def point_series(runs: list[RunData], name: str, key: str, suffix: str = "") -> list[Series]:
    """One series per set of replicates from their point events `name` (value `key`)."""
    out = []
    for label, rs in replicates(runs):
        curves = [c for c in (point_curve(r, name, key) for r in rs) if c[0]]
        if (s := replicate_series(label + suffix, curves)) is not None:
            out.append(s)
    return out


def stat(runs: Iterable[RunData], key: str) -> Stat | None:
    """A summary value over replicates as mean ± std (n)."""
    return Stat.of([r.summary.get(key) for r in runs])


def _finite(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
