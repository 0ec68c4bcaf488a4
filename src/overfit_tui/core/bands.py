"""Seed bands as papers report them: min-max, standard deviation, standard error, 95 % interval.

A figure's series keeps, at each x, the mean over seeds, their spread (sample sd), their count
and their range; `band` turns that into the lower and upper edge of the kind the user picked.
The 95 % interval is two-sided and t-based (small n: with 3 seeds it is mean ± 4.30 se), as
papers with 3-5 seeds should report it. With one run there is no band, and the spread-based
kinds (s.e., s.d., CI) need MIN_SPREAD_N runs at a point: two runs give an sd on one degree of
freedom and a 95 % interval of mean ± 12.7 se (a training curve whose seeds stop at different
steps drew a band ten times the curve's height where one seed was left with one other). There
the mean is drawn alone, the min-max kind still shows the two values, and the legend's n counts
only the points a band is drawn at. A quantity never observed below 0 (a loss, an error, a time,
a code length) has its band's lower edge clipped at 0: a t interval's arithmetic reaches below
zero with 3 seeds, the quantity cannot (the charts' axes went to -7.6 for a loss).
"""

from __future__ import annotations

import math

from overfit_tui.core.stats import t_quantile

KINDS = ("ci", "se", "sd", "range")
MIN_SPREAD_N = 3  # runs at a point before an s.e., s.d. or CI band is drawn there
TITLE = {"ci": "mean ± 95 % CI", "se": "mean ± s.e.", "sd": "mean ± s.d.", "range": "mean, min-max"}


def t975(df: int) -> float:
    """The 0.975 quantile of Student's t with `df` degrees of freedom (inf below 1)."""
    return t_quantile(df, two_sided=True)


def sample_sd(values) -> float:
    """The sample standard deviation (n - 1); 0 for fewer than 2 values."""
    v = [float(x) for x in values]
    if len(v) < 2:
        return 0.0
    m = sum(v) / len(v)
    return math.sqrt(sum((x - m) ** 2 for x in v) / (len(v) - 1))


def half_width(sd: float, n: int, kind: str) -> float:
    """How far the band reaches each side of the mean for `kind` (not for 'range')."""
    if n < 2:
        return 0.0
    if kind == "sd":
        return sd
    se = sd / math.sqrt(n)
    return se if kind == "se" else t975(n - 1) * se


def band(mean: float, sd: float, n: int, lo: float, hi: float, kind: str) -> tuple[float, float]:
    """The band's edges at one point: the range as measured, or mean ± the kind's half width."""
    if kind not in KINDS:
        raise ValueError(f"band kind '{kind}': one of {', '.join(KINDS)}")
    if n < 2:
        return mean, mean
    if kind == "range":
        return lo, hi
    if n < MIN_SPREAD_N:
        return mean, mean
    h = half_width(sd, n, kind)
    return mean - h, mean + h


def band_title(kind: str, n_text: str = "") -> str:
    """What a figure says its band is: 'mean ± 95 % CI, n = 3'."""
    return TITLE[kind] + (f", {n_text.replace('n=', 'n = ')}" if n_text else "")


def edges(
    mean: tuple[float, ...],
    sd: tuple[float, ...] | None,
    ns: tuple[int, ...],
    n: int,
    lo: tuple[float, ...] | None,
    hi: tuple[float, ...] | None,
    kind: str,
) -> tuple[tuple[float, ...], tuple[float, ...], str] | None:
    """A series' band of `kind` at every x: (lower, upper, the kind drawn), or None without one.

    `ns` is the runs behind each point (empty: `n` everywhere); a series that kept no sd can
    only show its range, and says so by the kind it returns."""
    if kind not in KINDS:
        raise ValueError(f"band kind '{kind}': one of {', '.join(KINDS)}")
    if n < 2 or not lo or not hi:
        return None
    if kind != "range" and sd is None:
        kind = "range"
    counts = ns or (n,) * len(mean)
    if kind == "range":
        return tuple(lo), tuple(hi), kind
    if max(counts) < MIN_SPREAD_N:
        return None
    pairs = [band(m, s, k, a, b, kind) for m, s, k, a, b in zip(mean, sd, counts, lo, hi)]
    floor = 0.0 if min(lo) >= 0 else -math.inf
    return tuple(max(p[0], floor) for p in pairs), tuple(p[1] for p in pairs), kind


def next_kind(kind: str) -> str:
    """The kind after `kind` (the pane's `b` key cycles them)."""
    return KINDS[(KINDS.index(kind) + 1) % len(KINDS)] if kind in KINDS else KINDS[0]


def band_note(series, kind: str) -> str:
    """What a figure's bands are, with the seeds behind them ('mean ± 95 % CI, n = 3', 'n = 2-3'
    where points rest on different counts); '' when no series has a band."""
    drawn = [(s, b[2]) for s in series if (b := s.band(kind)) is not None]
    if not drawn:
        return ""
    least = {k: (2 if k == "range" else MIN_SPREAD_N) for k in KINDS}
    counts = [k for s, drawn_kind in drawn for k in (s.ns or (s.n,)) if k >= least[drawn_kind]]
    lo, hi = min(counts), max(counts)
    return band_title(drawn[0][1], f"n={lo}" if lo == hi else f"n={lo}-{hi}")
