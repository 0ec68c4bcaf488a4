"""The double-descent claims of Belkin et al. 2018 (Fig. 2-4) as decisions with a null, shared by
the neural-net and random-feature studies: the model interpolates past the threshold, the test
risk peaks near it (rises above its under-parameterized minimum and falls after), and falls a
second time, below that minimum.

Every comparison is paired per seed, on log values (a ratio: the same rule for a zero-one error,
a squared loss or a norm), and holds only when the one-sided 95 % t lower bound of the mean
log ratio over >= 3 seeds is above 0 (the margin: beyond seed noise). The three points a seed
is read at are fixed before its own values are looked at:

- the first (under-parameterized) minimum: the grid point below threshold / 2 where the
  OTHER seeds' mean curve is lowest;
- the peak: the grid point in [threshold / factor, threshold * factor] where the other seeds'
  mean curve is highest;
- past the peak: the grid point past threshold * factor where the other seeds' mean curve is
  highest (so a curve that peaks later, or keeps rising, has no peak near the threshold);
- the largest model: the largest grid point (it must lie past threshold * factor).

Choosing the points on the other seeds (leave one out) keeps a seed's own noise from picking
its minimum low and its peak high, which on a flat curve with seed noise would read as a peak.
A monotone curve, a flat curve and a U-shaped curve (no second descent) all fail; the audit is
tests/studies/audit/double_descent_{nn,rff}.py.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from overfit_tui.core.status import Status
from overfit_tui.studies.base import RunData
from overfit_tui.studies.claims import (
    ENDED,
    MIN_SEEDS,
    Claim,
    Evidence,
    Mean,
    Verdict,
    finished,
    pending,
    seed_of,
    too_few_seeds,
    verdict,
)

Get = Callable[[RunData], float | None]
TINY = 1e-12  # floor of a value before its log (a zero test error would otherwise be -inf)
PEAK_FACTOR = 2.0  # "near the threshold": within x2 of it (fixed before measuring; a log grid's step)
NORM_FACTOR = 1.1  # the norm peaks AT N = n (Belkin et al. Fig. 2): within x1.1


def _num(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _threshold(runs: list[RunData], threshold: Get) -> float | None:
    return next((threshold(r) for r in finished(runs) if threshold(r)), None)


def _curves(runs: list[RunData], x: Get, y: Get) -> dict[tuple, dict[float, float]]:
    """log y at each x, per seed (finished runs with both numbers)."""
    out: dict[tuple, dict[float, float]] = {}
    for r in finished(runs):
        xv, yv = x(r), y(r)
        if _num(xv) and _num(yv):
            out.setdefault(seed_of(r), {})[float(xv)] = math.log(max(float(yv), TINY))
    return out


def _unfinished(runs: list[RunData]) -> Verdict | None:
    going = [r for r in runs if r.status not in ENDED]
    return pending(f"{len(going)} run(s) still going") if going else None


def _no_result(runs: list[RunData]) -> Verdict | None:
    """A run that ended without a result (failed, diverged, lost) is a hole in the curve that could
    hide a rise or a fall: the curve claims wait for it to be rerun rather than drop it."""
    lost = sorted(r.label for r in runs if r.status in ENDED and r.status != Status.FINISHED)
    return pending(f"ended without a result, rerun: {', '.join(lost[:4])}") if lost else None


def three_points(runs: list[RunData], x: Get, threshold: Get, y: Get, factor: float):
    """Per seed, log y at its first minimum, its peak, its highest point past the peak window and
    its largest model (points chosen on the other seeds), or a pending verdict naming what is missing."""
    if (wait := _unfinished(runs) or _no_result(runs)) is not None:
        return wait
    thr = _threshold(runs, threshold)
    curves = _curves(runs, x, y)
    if not thr or not curves:
        return pending("no finished model yet")
    if (few := too_few_seeds(len(curves))) is not None:
        return few
    grid = sorted(set.intersection(*(set(c) for c in curves.values())))
    under = [v for v in grid if v < thr / PEAK_FACTOR]  # well below the threshold, whatever the window
    window = [v for v in grid if thr / factor <= v <= thr * factor]
    if not under or not window or not grid or grid[-1] <= thr * factor:
        return pending(
            f"needs every seed's models below {thr / PEAK_FACTOR:,.0f}, in [{thr / factor:,.0f}, {thr * factor:,.0f}] "
            f"and past {thr * factor:,.0f}"
        )
    last = grid[-1]
    after = [v for v in grid if v > thr * factor]
    pts: dict[tuple, tuple[float, float, float, float]] = {}
    at: dict[str, list[float]] = {"min": [], "peak": [], "after": []}
    for s, c in curves.items():
        others = [o for k, o in curves.items() if k != s]
        mean = {v: sum(o[v] for o in others) / len(others) for v in grid}
        lo = min(under, key=lambda v: mean[v])
        hi = max(window, key=lambda v: mean[v])
        past = max(after, key=lambda v: mean[v])
        pts[s] = (c[lo], c[hi], c[last], c[past])
        at["min"].append(lo)
        at["peak"].append(hi)
        at["after"].append(past)
    return pts, thr, at, last


def _ratio_mean(pts: dict, i: int, j: int) -> Mean:
    return Mean.of(p[i] - p[j] for p in pts.values())


def _where(xs: list[float]) -> str:
    return "/".join(f"{v:,.0f}" for v in sorted(set(xs)))


def _fmt_ratio(m: Mean) -> str:
    return f"x{math.exp(m.mean):.3g} (95 % bound x{math.exp(m.lower):.3g})"


def _evidence(m: Mean, what: str) -> Evidence:
    return m.evidence("log ratio > 0 (one-sided 95 %)", what)


def peak_near(x: Get, threshold: Get, y: Get, what: str, factor: float = PEAK_FACTOR):
    """The curve near the threshold is above its first minimum and above every model past the window."""

    def check(runs: list[RunData]) -> Verdict:
        got = three_points(runs, x, threshold, y, factor)
        if isinstance(got, Verdict):
            return got
        pts, thr, at, _ = got
        rise, fall = _ratio_mean(pts, 1, 0), _ratio_mean(pts, 1, 3)
        ok = rise.lower > 0 and fall.lower > 0
        measured = (
            f"{what} at {_where(at['peak'])}: {_fmt_ratio(rise)} its first minimum (at {_where(at['min'])}), "
            f"{_fmt_ratio(fall)} its highest point past x{factor:g} the threshold (at {_where(at['after'])}), n={rise.n}"
        )
        weaker = rise if rise.lower <= fall.lower else fall
        detail = (
            f"peak/first minimum and peak/highest later point both > 1 (one-sided 95 %, paired), threshold {thr:,.0f}"
        )
        return verdict(ok, measured, detail, _evidence(weaker, f"log {what} peak ratio (the weaker of the two)"))

    return check


def second_descent(x: Get, threshold: Get, y: Get, what: str, factor: float = PEAK_FACTOR):
    """The largest model is below the first minimum, after a rise to the peak (else there is no
    *second* descent: a monotone curve descends once)."""

    def check(runs: list[RunData]) -> Verdict:
        got = three_points(runs, x, threshold, y, factor)
        if isinstance(got, Verdict):
            return got
        pts, thr, at, last = got
        drop, rise = _ratio_mean(pts, 0, 2), _ratio_mean(pts, 1, 0)
        ok = drop.lower > 0 and rise.lower > 0
        measured = (
            f"largest model ({last:,.0f}) {what} x{math.exp(-drop.mean):.3g} its first minimum "
            f"(95 % bound x{math.exp(-drop.lower):.3g}); peak {_fmt_ratio(rise)} it, n={drop.n}"
        )
        detail = "first minimum/largest model > 1 and peak/first minimum > 1 (one-sided 95 %, paired)"
        return verdict(ok, measured, detail, _evidence(drop, f"log {what} first minimum / largest model"))

    return check


def interpolates(x: Get, threshold: Get, train_error: Get):
    """Every seed's every finished model at or past the threshold has zero training error."""

    def check(runs: list[RunData]) -> Verdict:
        if (wait := _unfinished(runs) or _no_result(runs)) is not None:
            return wait
        thr = _threshold(runs, threshold)
        past = [r for r in finished(runs) if thr and _num(x(r)) and x(r) >= thr and _num(train_error(r))]
        if not past:
            return pending("no finished model past the threshold yet")
        seeds = {seed_of(r) for r in past}
        if (few := too_few_seeds(len(seeds))) is not None:
            return few
        worst = max(train_error(r) for r in past)
        ev = Evidence(len(seeds), worst, worst, worst, "= 0 for every model past the threshold", "largest train error")
        bad = sorted({r.label for r in past if train_error(r) > 0})
        detail = f"{len(past)} models past the threshold" + (f"; not at 0: {', '.join(bad[:4])}" if bad else "")
        return verdict(worst == 0, f"largest train error {100 * worst:.2f} % (n={len(seeds)} seeds)", detail, ev)

    return check


MARGIN_PEAK = (
    "peak/first-minimum and peak/highest-point-past-the-window ratios both > 1: one-sided 95 % t-bound "
    f"of the paired per-seed log ratio > 0 over >= {MIN_SEEDS} seeds; the points located on the other seeds"
)
MARGIN_SECOND = (
    "first-minimum/largest-model ratio > 1 and peak/first-minimum ratio > 1: one-sided 95 % t-bounds "
    f"of the paired per-seed log ratios > 0 over >= {MIN_SEEDS} seeds"
)
MARGIN_FIT = f"training error exactly 0 for every model past the threshold, >= {MIN_SEEDS} seeds"


def descent_claims(
    x: Get,
    threshold: Get,
    metrics: dict[str, tuple[str, Get]],
    train_error: Get,
    source: str,
    rates: dict[str, tuple[float, float]],
    fit_kind: str = "paper",
) -> tuple[Claim, ...]:
    """interpolates, then peak / second-descent for each metric: {id suffix: (name, getter)}
    (suffix "" for the first). `rates` holds each claim id's audited (fpr, power)."""
    out = [
        Claim(
            "interpolates",
            "Past the interpolation threshold the model fits the training set exactly.",
            source,
            "0 training error",
            interpolates(x, threshold, train_error),
            margin=MARGIN_FIT,
            kind=fit_kind,
            fpr=rates["interpolates"][0],
            power=rates["interpolates"][1],
        )
    ]
    for suffix, (what, y) in metrics.items():
        out.append(
            Claim(
                f"peak{suffix}",
                f"The test {what} peaks near the interpolation threshold: above its under-parameterized "
                "minimum and above every larger model.",
                source,
                "peak at the threshold",
                peak_near(x, threshold, y, what),
                margin=MARGIN_PEAK + f"; peak within x{PEAK_FACTOR:g} of the threshold",
                fpr=rates[f"peak{suffix}"][0],
                power=rates[f"peak{suffix}"][1],
            )
        )
        out.append(
            Claim(
                f"second-descent{suffix}",
                f"After the peak the test {what} falls below its under-parameterized minimum.",
                source,
                "below the first minimum",
                second_descent(x, threshold, y, what),
                margin=MARGIN_SECOND,
                fpr=rates[f"second-descent{suffix}"][0],
                power=rates[f"second-descent{suffix}"][1],
            )
        )
    return tuple(out)
