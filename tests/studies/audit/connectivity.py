"""Null and power cases of the mode-connectivity claims (Garipov et al. 2018, Nguyen 2019).

Groups are the CPU preset's shape: one-hidden-layer MLPs of width 4, 16, 64, 256 and 2,048 on
n = 1,000 MNIST-1D samples, 3 pairs per width. The effect is what the papers describe, at the
size a smoke run of the preset showed (width 4: line barrier 0.8 nats, curve 0.14, matched line
0.09): the line's barrier falls from 0.8 nats at width 4 to 0.1 at 2,048, the curve's from 0.12
to 0.01, weight matching leaves 15 % of the line's, the curve's ensemble is 1.5 points above the
better end (Garipov's CIFAR-100 gains). Every run has its own noise (barriers sd 0.1 nats at the line, 0.03 at the curve;
accuracies sd 1 point) and every pair a seed offset shared by its numbers.
"""

from __future__ import annotations

import random

from tests.studies.audit import Case
from tests.studies.synth import fill, group_runs, seed, seed_effects

STUDY = "connectivity"
WIDTHS = (4, 16, 64, 256, 2048)
GROUP = {
    "study": "connectivity",
    "name": "audit",
    "data": {"name": "mnist1d", "n_train": 1000},
    "models": [{"name": "mlp", "depth": 1}],
    "train": {"epochs": 1, "target_train_acc": 0.0},
    "seeds": [0, 1, 2],
    "params": {"widths": list(WIDTHS), "align": True},
}
SPECS = group_runs(GROUP)
LINE = {4: 0.8, 16: 0.6, 64: 0.4, 256: 0.25, 2048: 0.1}  # the line's barrier (nats)
CURVE = {4: 0.12, 16: 0.08, 64: 0.05, 256: 0.03, 2048: 0.01}  # the curve's
LINE_SD, CURVE_SD, ACC_SD = 0.1, 0.03, 0.01


def _w(s: dict) -> int:
    return s["params"]["width"]


def group(rng: random.Random, line=LINE.get, curve=CURVE.get, aligned=lambda w, b: 0.15 * b, gain=lambda w: 0.015):
    """line(w), curve(w): mean barriers; aligned(w, line barrier): the matched line's; gain(w): the
    curve ensemble's test accuracy above the better end."""
    off = seed_effects(rng, 3, 0.05)
    aoff = seed_effects(rng, 3, 0.005)

    def summary(s):
        w, i = _w(s), seed(s)
        gap = abs(rng.gauss(0, 0.03))
        lb = line(w) + gap + off[i] + rng.gauss(0, LINE_SD)
        best = 0.6 + aoff[i] + rng.gauss(0, ACC_SD)
        return {
            "width": w,
            "n_train": 1000,
            "end_gap": gap,
            "line_barrier": lb,
            "curve_barrier": curve(w) + off[i] / 4 + rng.gauss(0, CURVE_SD),
            "aligned_barrier": aligned(w, lb) + rng.gauss(0, CURVE_SD),
            "best_end_acc": best,
            "curve_ens_acc": best + gain(w) + rng.gauss(0, ACC_SD),
        }

    return fill(SPECS, summary)


def _flat(v: float):
    return lambda w: v


LINE_BARRIER = Case(
    nulls={
        "flat: no barrier, seed noise": lambda rng: group(rng, line=_flat(0.0)),
        "barrier at half the margin": lambda rng: group(rng, line=_flat(0.05)),
        "a barrier only at wide nets": lambda rng: group(rng, line=lambda w: 0.0 if w < 1000 else 0.8),
    },
    effect=lambda rng: group(rng),
    note="nulls: line barrier 0 or 0.05 nats above the ends' difference (sd 0.1 per pair), or a barrier at "
    "the widest net only; effect: 0.8 nats at width 4 falling to 0.1 at 2,048",
)

CURVE_FLAT = Case(
    nulls={
        "curve equal to the line": lambda rng: group(rng, curve=LINE.get),
        "curve at half the line": lambda rng: group(rng, curve=lambda w: 0.5 * LINE[w]),
        "flat: no barrier on either path": lambda rng: group(rng, line=_flat(0.0), curve=_flat(0.0)),
    },
    effect=lambda rng: group(rng),
    note="nulls: the curve's barrier equal to the line's, at half of it, or both paths flat (nothing to "
    "join); effect: line 0.8 nats, curve 0.12 at width 4 (15 % of the line's)",
)

LINE_WIDTH = Case(
    nulls={
        "barrier not falling with width": lambda rng: group(rng, line=_flat(0.8)),
        "falls by a third only": lambda rng: group(rng, line=lambda w: 0.8 if w < 1000 else 0.53),
        "rising with width": lambda rng: group(rng, line=lambda w: LINE[4] + LINE[2048] - LINE[w]),
    },
    effect=lambda rng: group(rng),
    note="nulls: line barrier 0.8 nats at every width, falling by a third only, or rising; "
    "effect: 0.8 at width 4 to 0.1 at 2,048",
)

CURVE_WIDTH = Case(
    nulls={
        "curve barrier not falling with width": lambda rng: group(rng, curve=_flat(0.12)),
        "rising with width": lambda rng: group(rng, curve=lambda w: CURVE[4] + CURVE[2048] - CURVE[w]),
    },
    effect=lambda rng: group(rng),
    note="nulls: curve barrier 0.12 nats at every width, or rising; effect: 0.12 at width 4 to 0.01 at 2,048 "
    "(sd 0.03 per pair)",
)

ENSEMBLE = Case(
    nulls={
        "no gain over the better end": lambda rng: group(rng, gain=_flat(0.0)),
        "gain at narrow widths, loss at wide ones": lambda rng: group(
            rng, gain=lambda w: 0.015 if w <= 16 else (-0.015 if w >= 256 else 0.0)
        ),
        "worse than the better end": lambda rng: group(rng, gain=_flat(-0.005)),
    },
    effect=lambda rng: group(rng),
    note="nulls: the curve's ensemble equal to the better end (sd 1 point per run), +1 point at narrow and "
    "-1.5 at wide widths, or half a point worse; effect: +1.5 points at every width (Garipov: +1-2 points)",
)

ALIGNED = Case(
    nulls={
        "matching does nothing": lambda rng: group(rng, aligned=lambda w, b: b),
        "matching shrinks it by a quarter only": lambda rng: group(rng, aligned=lambda w, b: 0.75 * b),
    },
    effect=lambda rng: group(rng),
    note="nulls: the matched line's barrier equal to the line's or 75 % of it; effect: 15 % of it "
    "(the smoke run: 0.09 of 0.80 nats at width 4)",
)

CASES = {
    "line-barrier": LINE_BARRIER,
    "curve-flat": CURVE_FLAT,
    "line-width": LINE_WIDTH,
    "curve-width": CURVE_WIDTH,
    "ensemble": ENSEMBLE,
    "aligned": ALIGNED,
}
