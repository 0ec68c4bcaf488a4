"""Zhang et al. 2017's Theorem 1, checked on an expressivity group: a two-layer ReLU net with
2n + d weights represents any function on n samples in d dimensions. Checked on the closed-form
construction's runs (every target: true labels, random labels, random reals), and, for what
the theorem does not say, on the trained net of the same size: reported, never a pass."""

from __future__ import annotations

from overfit_tui.studies.base import RunData
from overfit_tui.studies.claims import Claim, finished, pending, verdict

FIT_TOL = 1e-3  # the largest |f(z_i) - y_i| that counts as exact in float64 (targets are O(1)-O(10))


def _construction(runs: list[RunData]) -> list[RunData]:
    return finished(runs, lambda r: r.spec["params"]["method"] == "construction" and "max_fit_error" in r.summary)


def _fits_any(runs: list[RunData]):
    rs = _construction(runs)
    if not rs:
        return pending("no finished construction yet")
    targets = sorted({r.spec["params"]["target"] for r in rs})
    worst = max(r.summary["max_fit_error"] for r in rs)
    bad = [r.label for r in rs if r.summary["max_fit_error"] > FIT_TOL]
    detail = f"every target fitted within {FIT_TOL:g}" + (f"; not: {', '.join(bad)}" if bad else "")
    return verdict(not bad, f"max |error| {worst:.1e} over {', '.join(targets)}", detail)


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
    ),
    Claim(
        "size-2n-d",
        "It needs only 2n + d weights.",
        "Theorem 1",
        "2n + d",
        _size,
    ),
)
