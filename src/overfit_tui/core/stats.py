"""Student's t quantiles, computed (no scipy): the 95 % bounds that seed bands (core/bands.py,
two-sided) and claims (studies/claims.py, one-sided) hold a mean against.

`t_quantile(df, two_sided)` inverts the t distribution's CDF (a regularized incomplete beta,
evaluated by its continued fraction) by bisection, for any df >= 1; results are cached, so a
figure redrawn every second pays for each df once.
"""

from __future__ import annotations

import math
from functools import lru_cache

_EPS = 1e-15  # the continued fraction's relative tolerance
_TINY = 1e-300  # keeps Lentz's method off a zero denominator


def _betacf(a: float, b: float, x: float) -> float:
    """The continued fraction of the incomplete beta function (modified Lentz)."""
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / (d if abs(d) > _TINY else _TINY)
    h = d
    for m in range(1, 1000):
        for num in (
            m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1)),
        ):
            d = 1.0 + num * d
            d = 1.0 / (d if abs(d) > _TINY else _TINY)
            c = 1.0 + num / c
            c = c if abs(c) > _TINY else _TINY
            h *= d * c
        if abs(d * c - 1.0) < _EPS:
            break
    return h


def _ibeta(a: float, b: float, x: float) -> float:
    """The regularized incomplete beta I_x(a, b), for 0 <= x <= 1."""
    if x <= 0.0 or x >= 1.0:
        return max(0.0, min(1.0, x))
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, 1.0 - x) / b


def t_upper(t: float, df: float) -> float:
    """P(T > t) for Student's t with `df` degrees of freedom, t >= 0."""
    return 0.5 * _ibeta(df / 2.0, 0.5, df / (df + t * t))


@lru_cache(maxsize=512)
def t_quantile(df: int, two_sided: bool) -> float:
    """The 95 % quantile of Student's t: 0.975 when `two_sided` (a 95 % interval's half-width in
    standard errors), 0.95 when not (a one-sided 95 % bound). inf below 1 degree of freedom."""
    if df < 1:
        return math.inf
    tail = 0.025 if two_sided else 0.05
    lo, hi = 0.0, 1.0
    while t_upper(hi, df) > tail:
        hi *= 2.0
    for _ in range(200):
        mid = (lo + hi) / 2.0
        if t_upper(mid, df) > tail:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-12:
            break
    return (lo + hi) / 2.0
