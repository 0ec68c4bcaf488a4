"""The connectivity claims (Garipov et al. 2018, Draxler et al. 2018, Nguyen 2019), each a
decision with a null (tests/studies/audit/connectivity.py measures their error rates).

Margins, fixed before measuring (docs/claims/connectivity.md says why each):
- line-barrier: at the narrowest width (below n), the line's train-loss barrier above the two ends'
  own difference |L_A - L_B| by > 0.1 nats (one-sided 95 % over pairs). The papers' lines rise by
  nats (Garipov Fig. 2: train error to ~90 % midway between VGG-16 minima); 0.1 is far below that.
- curve-flat: the line's barrier holds at the narrowest width (above) and, averaged per pair over
  every width below n, the curve's barrier is below a quarter of the line's (0.25 x line - curve
  > 0, one-sided 95 %): "near zero where the line's is not" (Garipov: the curve's train loss
  stays at the ends' level).
- line-width / curve-width: from the narrowest width (below n) to the widest (at least n), the
  line's barrier falls to under half (0.5 x narrow - wide > 0), the curve's falls (narrow - wide > 0).
- ensemble: the curve's ensemble (mean softmax of its points) beats the better end's test accuracy,
  averaged over widths per pair (> 0, one-sided 95 %; Garipov Table 2).
- aligned (optional variant): weight matching B to A halves the line's barrier at the narrowest
  width (0.5 x line - aligned > 0); pending where the group did not measure it.
"""

from __future__ import annotations

from overfit_tui.studies.base import RunData
from overfit_tui.studies.claims import (
    ENDED,
    Claim,
    Mean,
    Verdict,
    all_hold,
    by_seed,
    exceeds,
    finished,
    paired,
    pending,
)
from overfit_tui.studies.connectivity.figures import by_width

LINE_MARGIN = 0.1  # nats above the ends' own difference: "substantial"
CURVE_SHARE = 0.25  # the curve's barrier below this share of the line's: "near zero where the line's is not"
WIDE_SHARE = 0.5  # the widest net's line barrier below this share of the narrowest's
ALIGN_SHARE = 0.5  # weight matching at least halves the line's barrier


def _n(runs: list[RunData]) -> int | None:
    return next((int(r.summary["n_train"]) for r in runs if r.summary.get("n_train")), None)


def _widths(runs: list[RunData]) -> dict[int, list[RunData]] | Verdict:
    """The finished runs per width, or pending while a width has none or has runs still going."""
    all_w = by_width(runs)
    going = [w for w, rs in all_w.items() if any(r.status not in ENDED for r in rs)]
    if going:
        return pending(f"width {going[0]} has runs still going")
    done = {w: finished(rs) for w, rs in all_w.items()}
    empty = [w for w, rs in done.items() if not rs]
    if empty or not done:
        return pending(f"needs finished pairs at every width (none at {empty[0] if empty else 'any'})")
    return done


def _val(key: str, scale: float = 1.0):
    return lambda r: None if r.summary.get(key) is None else scale * r.summary[key]


def _above_gap(r: RunData) -> float | None:
    b, g = r.summary.get("line_barrier"), r.summary.get("end_gap")
    return None if b is None or g is None else b - g


def _narrow(runs: list[RunData]) -> tuple[int, list[RunData]] | Verdict:
    ws = _widths(runs)
    if isinstance(ws, Verdict):
        return ws
    w = min(ws)
    n = _n(ws[w])
    if n is not None and w >= n:
        return pending(f"needs a width below n = {n} (narrowest is {w})")
    return w, ws[w]


def _narrow_wide(runs: list[RunData]) -> tuple[list[RunData], list[RunData], str] | Verdict:
    ws = _widths(runs)
    if isinstance(ws, Verdict):
        return ws
    lo, hi = min(ws), max(ws)
    n = _n(ws[hi])
    if lo == hi:
        return pending("needs two widths")
    if n is not None and not (lo < n <= hi):
        return pending(f"needs widths on both sides of n = {n} (has {lo}-{hi})")
    return ws[lo], ws[hi], f"width {lo} vs {hi}"


def line_barrier(runs: list[RunData]) -> Verdict:
    got = _narrow(runs)
    if isinstance(got, Verdict):
        return got
    w, rs = got
    return exceeds(_mean(rs, _above_gap), LINE_MARGIN, f"width {w}: line barrier - |L_A - L_B|")


def _mean(rs: list[RunData], value) -> Mean | None:
    return Mean.of(by_seed(rs, value).values())


def curve_flat(runs: list[RunData]) -> Verdict:
    got = _narrow(runs)
    if isinstance(got, Verdict):
        return got
    w, rs = got
    ws = _widths(runs)
    n = _n(rs)
    below = [r for v, g in ws.items() if n is None or v < n for r in g]  # every width below n
    line = exceeds(_mean(rs, _above_gap), LINE_MARGIN, "line barrier - |L_A - L_B|")
    flat = exceeds(
        paired(by_seed(below, _val("line_barrier", CURVE_SHARE)), by_seed(below, _val("curve_barrier"))),
        0.0,
        f"{CURVE_SHARE:g} x line - curve barrier, mean over widths < n",
    )
    return all_hold([(f"width {w} line", line), ("widths < n curve", flat)])


def line_width(runs: list[RunData]) -> Verdict:
    got = _narrow_wide(runs)
    if isinstance(got, Verdict):
        return got
    lo, hi, where = got
    m = paired(by_seed(lo, _val("line_barrier", WIDE_SHARE)), by_seed(hi, _val("line_barrier")))
    return exceeds(m, 0.0, f"{where}: {WIDE_SHARE:g} x narrow - wide line barrier")


def curve_width(runs: list[RunData]) -> Verdict:
    got = _narrow_wide(runs)
    if isinstance(got, Verdict):
        return got
    lo, hi, where = got
    m = paired(by_seed(lo, _val("curve_barrier")), by_seed(hi, _val("curve_barrier")))
    return exceeds(m, 0.0, f"{where}: narrow - wide curve barrier")


def _ens_gain(r: RunData) -> float | None:
    c, e = r.summary.get("curve_ens_acc"), r.summary.get("best_end_acc")
    return None if c is None or e is None else c - e


def ensemble(runs: list[RunData]) -> Verdict:
    ws = _widths(runs)
    if isinstance(ws, Verdict):
        return ws
    rs = [r for g in ws.values() for r in g]
    return exceeds(_mean(rs, _ens_gain), 0.0, "curve ensemble - better end (test acc, mean over widths)")


def aligned(runs: list[RunData]) -> Verdict:
    got = _narrow(runs)
    if isinstance(got, Verdict):
        return got
    w, rs = got
    if not any("aligned_barrier" in r.summary for r in rs):
        return pending("the group did not match weights (params.align = false, or not a 1-hidden-layer MLP)")
    m = paired(by_seed(rs, _val("line_barrier", ALIGN_SHARE)), by_seed(rs, _val("aligned_barrier")))
    return exceeds(m, 0.0, f"width {w}: {ALIGN_SHARE:g} x line - aligned barrier")


CLAIMS = (
    Claim(
        "line-barrier",
        "Between two minima from independent inits the straight line crosses a loss barrier (narrow nets).",
        "Garipov Fig. 1-2; Draxler Fig. 4",
        "train error up to ~90 % midway (VGG-16, CIFAR-10)",
        line_barrier,
        margin=f"narrowest width < n: line barrier - |L_A - L_B| > {LINE_MARGIN:g} nats (one-sided 95 %)",
        fpr=0.005,
        power=1.0,
    ),
    Claim(
        "curve-flat",
        "A trained Bezier curve joins the same minima with a barrier near zero where the line's is not.",
        "Garipov Fig. 1-2, Sec. 4",
        "train loss along the curve ~ the ends'",
        curve_flat,
        margin=f"line barrier holds at the narrowest width; curve barrier < {CURVE_SHARE:g} x line's over widths < n (one-sided 95 %)",
        fpr=0.0,
        power=0.91,
    ),
    Claim(
        "line-width",
        "The line's barrier falls as the first hidden layer widens past the sample count (Nguyen 2019).",
        "Nguyen 2019 (notes §5.1)",
        "connected sublevel sets at width >= n",
        line_width,
        margin=f"widest (>= n) line barrier < {WIDE_SHARE:g} x narrowest (< n) one's (one-sided 95 %)",
        fpr=0.0,
        power=0.85,
    ),
    Claim(
        "curve-width",
        "The curve's barrier falls too as the first hidden layer widens.",
        "Nguyen 2019 (notes §5.1)",
        "",
        curve_width,
        margin="narrowest (< n) curve barrier - widest (>= n) one > 0 (one-sided 95 %)",
        fpr=0.045,
        power=0.85,
    ),
    Claim(
        "ensemble",
        "Ensembling the points along the curve beats either end point (fast ensembling).",
        "Garipov Table 2, Sec. 5",
        "FGE: +1-2 points test accuracy over one net",
        ensemble,
        margin="curve ensemble - better end's test accuracy > 0, mean over widths (one-sided 95 %)",
        fpr=0.045,
        power=0.96,
    ),
    Claim(
        "aligned",
        "Matching B's hidden units to A's (weight matching) shrinks the line's barrier (optional variant).",
        "Ainsworth et al. 2023 (the issue's variant)",
        "",
        aligned,
        margin=f"narrowest width: aligned line barrier < {ALIGN_SHARE:g} x the line's (one-sided 95 %)",
        fpr=0.0,
        power=1.0,
    ),
)
