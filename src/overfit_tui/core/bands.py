"""Seed bands as papers report them: min-max, standard deviation, standard error, 95 % interval.

A figure's series keeps, at each x, the mean over seeds, their spread (sample sd), their count
and their range; `band` turns that into the lower and upper edge of the kind the user picked.
The 95 % interval is two-sided and t-based (small n: with 3 seeds it is mean ± 4.30 se), as
papers with 3-5 seeds should report it. With one run there is no band.
"""

from __future__ import annotations

import math

from overfit_tui.core.stats import t_quantile

KINDS = ("ci", "se", "sd", "range")
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
    h = half_width(sd, n, kind)
    return mean - h, mean + h


def band_title(kind: str, n_text: str = "") -> str:
    """What a figure says its band is: 'mean ± 95 % CI, n = 3'."""
    return TITLE[kind] + (f", {n_text.replace('n=', 'n = ')}" if n_text else "")
