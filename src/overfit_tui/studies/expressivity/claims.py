"""Zhang et al. 2017's Theorem 1, checked on an expressivity group: a two-layer ReLU net with
2n + d weights represents any function on n samples in d dimensions. Checked on the closed-form
construction's runs (every target: true labels, random labels, random reals, >= 3 seeds each);
the trained net of the same size beside it is reported, never a pass.

`fits-any` can fail: a construction whose projections nearly coincide (a tiny gap x_i - b_i)
solves an ill-conditioned triangular system and misses its targets by more than FIT_TOL.
`size-2n-d` is how the net is built (it always has 2n + d weights): a construction check."""

from __future__ import annotations

from overfit_tui.core.status import Status
from overfit_tui.studies.base import RunData
from overfit_tui.studies.claims import (
    ENDED,
    MIN_SEEDS,
    Claim,
    Evidence,
    arms,
    pending,
    seed_of,
    too_few_seeds,
    verdict,
)

FIT_TOL = 1e-3  # the largest |f(z_i) - y_i| that counts as exact in float64 (targets are O(1)-O(10))
TARGETS = ("true", "random", "reals")


def _is_construction(r: RunData) -> bool:
    return r.params.method == "construction"


def _construction(runs: list[RunData]) -> list[RunData]:
    return [r for r in runs if r.status in ENDED and _is_construction(r) and "max_fit_error" in r.summary]


def _fits_any(runs: list[RunData]):
    got = arms(runs, **{t: (lambda r, t=t: _is_construction(r) and r.params.target == t) for t in TARGETS})
    if not isinstance(got, dict):
        return got
    rs = [r for rr in got.values() for r in rr if "max_fit_error" in r.summary]
    for t, rr in got.items():
        if (few := too_few_seeds(len({seed_of(r) for r in rr}))) is not None:
            return pending(f"{t}: {few.detail}")
    worst = max(r.summary["max_fit_error"] for r in rs)
    bad = [r.label for r in rs if r.summary["max_fit_error"] > FIT_TOL]
    bad += [r.label for r in runs if _is_construction(r) and r.status in ENDED and r.status != Status.FINISHED]
    if len(bad) > len([r for r in rs if r.summary["max_fit_error"] > FIT_TOL]):
        worst = float("inf")  # a construction that could not be built (e.g. duplicate projections) fits nothing
    n = min(len({seed_of(r) for r in rr}) for rr in got.values())
    ev = Evidence(n, worst, worst, worst, f"<= {FIT_TOL:g} for every target and seed", "largest |f(z_i) - y_i|")
    detail = f"every target fitted within {FIT_TOL:g}" + (f"; not: {', '.join(bad[:4])}" if bad else "")
    return verdict(not bad, f"max |error| {worst:.1e} over {', '.join(TARGETS)}, n={n} seeds", detail, ev)


def _size(runs: list[RunData]):
    rs = [r for r in _construction(runs) if {"params", "n", "d"} <= set(r.summary)]
    if not rs:
        return pending("no finished construction that recorded n and d yet")
    over = [r.label for r in rs if r.summary["params"] > 2 * r.summary["n"] + r.summary["d"]]
    r = rs[0]
    measured = f"{r.summary['params']:,} weights for n = {r.summary['n']:,}, d = {r.summary['d']}"
    return verdict(not over, measured, "at most 2n + d weights" + (f"; more: {', '.join(over)}" if over else ""))


CLAIMS = (
    Claim(
        "fits-any",
        "A two-layer ReLU net represents any labels or real targets on n samples exactly.",
        "Theorem 1",
        "exact fit",
        _fits_any,
        margin=f"every construction's max |f(z_i) - y_i| <= {FIT_TOL:g} (float64), for true labels, random labels "
        f"and random reals, >= {MIN_SEEDS} seeds each",
        fpr=0.0,
        power=1.0,
    ),
    Claim(
        "size-2n-d",
        "It needs only 2n + d weights.",
        "Theorem 1",
        "2n + d",
        _size,
        margin="the construction's weight count <= 2n + d (how the net is built)",
        kind="construction",
        fpr=0.0,
        power=1.0,
    ),
)
