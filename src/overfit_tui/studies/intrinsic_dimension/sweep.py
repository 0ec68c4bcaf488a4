"""The d sweep of the intrinsic dimension study, as plain functions of measured points
(no torch): the bisection's next d, the crossing d_int of a threshold, and the two
thresholds of Li et al. 2018.

- **relative** (the paper's definition of d_int90): the smallest d whose accuracy reaches
  90 % of the baseline's, the same model trained directly with the same optimizer and budget;
- **absolute**: the smallest d whose accuracy reaches a fixed level (the paper's MNIST
  numbers, 750 for FC and 290 for LeNet, use 90 % accuracy).

A sweep measures a log grid of d, then refines by bisection (geometric midpoints) between
the largest d below the threshold and the smallest d that reaches it; when the grid never
crosses, it steps outwards by `EXTEND` (down when every d reaches, up to D when none does).
"""

from __future__ import annotations

import math
from collections.abc import Callable

RELATIVE = 0.9  # d_int90: 90 % of the baseline's accuracy
EXTEND = 3  # outward step of the sweep when the grid does not cross the threshold


def d_int(points: dict[int, float], threshold: float) -> int | None:
    """The smallest measured d whose accuracy reaches `threshold` (None: none does)."""
    reach = [d for d, acc in points.items() if acc >= threshold]
    return min(reach) if reach else None


def bracket(points: dict[int, float], threshold: float) -> tuple[int | None, int | None]:
    """(lo, hi): the largest measured d below `hi` (all of which miss the threshold) and the
    smallest d that reaches it; None on a side the measurements do not cover."""
    hi = d_int(points, threshold)
    below = [d for d in points if hi is None or d < hi]
    return (max(below) if below else None), hi


def next_dimension(points: dict[int, float], threshold: float, D: int) -> int | None:
    """The d to measure next to pin down the crossing, or None when it is pinned (a bracket
    of adjacent integers, or the sweep has reached d = 1 or d = D)."""
    if not points:
        raise ValueError("the bisection needs at least one measured d")
    lo, hi = bracket(points, threshold)
    if hi is None:  # nothing reaches: go up, towards D
        return None if lo >= D else min(D, lo * EXTEND)
    if lo is None:  # everything reaches: go down, towards 1
        return None if hi <= 1 else max(1, hi // EXTEND)
    if hi - lo <= 1:
        return None
    mid = round(math.sqrt(lo * hi))
    return min(max(mid, lo + 1), hi - 1)


def sweep(
    measure: Callable[[int], float], grid: list[int], threshold: float, D: int, steps: int
) -> tuple[int | None, dict[int, float]]:
    """Measure the grid, then up to `steps` bisection points; return (d_int, points).
    The study runs the same procedure one training per d; tests run it on known curves."""
    points = {d: measure(d) for d in grid}
    for _ in range(steps):
        d = next_dimension(points, threshold, D)
        if d is None:
            break
        points[d] = measure(d)
    return d_int(points, threshold), points
