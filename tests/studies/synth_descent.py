"""Synthetic double-descent curves for the null audits of double_descent_nn and double_descent_rff.

A curve is a shape in log space over u = log10(x / threshold), times a level, with a random
offset per seed (cancelled by the paired comparisons) and independent noise at every point.
Shapes with no double descent (the nulls): flat, monotone falling (an imported group whose test
risk falls monotonically with N), monotone rising, U-shaped (classical: a minimum well below the
threshold, then rising to the largest model), a peak at the threshold with no second descent
(falls after it but stays above the first minimum), and a peak far past the threshold. The effect:
Belkin et al.'s shape (a U below the threshold, a peak at it, a fall below the first minimum).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable

Shape = Callable[[float], float]  # u = log10(x / threshold) -> log of the value relative to its level


def bump(u: float, at: float = 0.0, width: float = 0.2) -> float:
    return math.exp(-(((u - at) / width) ** 2))


def classical_u(u: float) -> float:
    """The under-parameterized U: falling to a minimum at a tenth of the threshold."""
    return 0.3 * (u + 1.0) ** 2 if u < -1.0 else 0.0


def belkin(peak: float, end: float) -> Shape:
    """A U below the threshold, a peak `peak` times the first minimum at it, and a fall to `end`
    times the first minimum at the largest models (reached by u = 1)."""
    return lambda u: (
        classical_u(u) + math.log(peak) * bump(u) + (math.log(end) * min(1.0, u) if u > 0 else 0.0) * (1 - bump(u))
    )


def flat(u: float) -> float:
    return 0.0


def falling(u: float) -> float:
    return -0.25 * u  # strictly falling: x0.56 per decade of x


def rising(u: float) -> float:
    return 0.25 * u


def u_shaped(u: float) -> float:
    """Classical: a minimum at a tenth of the threshold, rising steadily after it (no second descent)."""
    return classical_u(u) + (0.15 * (u + 1.0) if u > -1.0 else 0.0)


def peak_no_second(peak: float) -> Shape:
    """A peak at the threshold, then a fall that stays 10 % above the first minimum."""
    return lambda u: classical_u(u) + math.log(peak) * bump(u) + (math.log(1.1) * min(1.0, u) if u > 0 else 0.0)


def late_peak(peak: float, at: float) -> Shape:
    """A peak far from the threshold (at u = `at`), nothing at it."""
    return lambda u: classical_u(u) + math.log(peak) * bump(u, at, 0.1)


def curve(
    rng: random.Random, shape: Shape, level: float, xs: list[float], threshold: float, sd: float, seed_sd: float
) -> dict[float, float]:
    """One seed's values at xs: level * exp(shape(u) + seed offset + point noise)."""
    off = rng.gauss(0.0, seed_sd)
    return {x: level * math.exp(shape(math.log10(x / threshold)) + off + rng.gauss(0.0, sd)) for x in xs}
