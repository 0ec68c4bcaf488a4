"""Curve helpers for drawing (no Textual): downsampling to a chart's width and EMA smoothing."""

from __future__ import annotations

import math


def ema(ys: list[float], weight: float) -> list[float]:
    """TensorBoard-style debiased exponential moving average (weight in [0, 1))."""
    if weight <= 0 or not ys:
        return list(ys)
    out, last, n = [], 0.0, 0
    for y in ys:
        if not math.isfinite(y):
            out.append(y)
            continue
        n += 1
        last = last * weight + (1 - weight) * y
        out.append(last / (1 - weight**n))
    return out


def downsample(xs: list[float], ys: list[float], width: int) -> tuple[list[float], list[float]]:
    """At most ~2*width points: per bucket keep the min and max, so spikes stay visible."""
    n = len(xs)
    if n <= 2 * max(width, 1):
        return list(xs), list(ys)
    buckets = max(width, 1)
    ox, oy = [], []
    for b in range(buckets):
        lo, hi = b * n // buckets, (b + 1) * n // buckets
        if hi <= lo:
            continue
        seg = range(lo, hi)
        i_min = min(seg, key=lambda i: ys[i])
        i_max = max(seg, key=lambda i: ys[i])
        for i in sorted({i_min, i_max}):
            ox.append(xs[i])
            oy.append(ys[i])
    return ox, oy


def finite(xs, ys) -> tuple[list[float], list[float]]:
    pts = [(x, y) for x, y in zip(xs, ys) if y is not None and math.isfinite(y)]
    return [p[0] for p in pts], [p[1] for p in pts]
