"""Null audit of double_descent_rff's claims (Belkin et al. 2018, Fig. 2): synthetic RFF sweeps in
the preset's shape (MNIST-1D n = 1,000, N from 50 to 32,000, 3 seeds).

Noise: 5 % per point (squared risk and norm; 3 % zero-one error) and a 5 % offset per seed. The
effect, modelled on Fig. 2 (not read off it, and smaller than its spike): the squared risk at
N = n 3x its under-parameterized minimum and 0.8x it at the largest N; the zero-one error 1.3x
and 0.85x; the norm 5x its trend at N = n."""

from __future__ import annotations

import math
import random

from tests.studies.audit import Case
from tests.studies.synth import fill, group_runs, seed
from tests.studies.synth_descent import (
    belkin,
    bump,
    curve,
    falling,
    flat,
    late_peak,
    peak_no_second,
    rising,
    u_shaped,
)

STUDY = "double_descent_rff"
FEATURES = [50, 100, 200, 400, 600, 800, 900, 960, 1000, 1040, 1100, 1200, 1500, 2000, 4000, 8000, 16000, 32000]
N = 1000
SPECS = group_runs(
    {"study": STUDY, "data": {"name": "mnist1d", "n_train": N}, "seeds": [0, 1, 2], "params": {"features": FEATURES}}
)
XS = [float(f) for f in FEATURES]


def norm_shape(peak: float):
    """The min-norm solution's norm: growing with N below n, a spike `peak`x its trend at N = n,
    falling past it."""
    return lambda u: (0.8 * (u + 1.3) if u < 0 else 0.8 * 1.3 - 0.5 * u) + math.log(peak) * bump(u, 0.0, 0.03)


def sweep(risk, error=None, norm=None, train_past=lambda rng: 0.0, one_off=False):
    """A group; `one_off`: exactly one solve past N = n (at random) misses one training point."""
    error, norm = error or risk, norm or risk

    def gen(rng: random.Random):
        rk = {s: curve(rng, risk, 0.5, XS, N, 0.05, 0.05) for s in range(3)}
        er = {s: curve(rng, error, 0.3, XS, N, 0.03, 0.05) for s in range(3)}
        nm = {s: curve(rng, norm, 10.0, XS, N, 0.05, 0.05) for s in range(3)}
        off = (rng.randrange(3), rng.choice([x for x in XS if x >= N])) if one_off else None

        def summary(spec):
            s, x = seed(spec), float(spec["params"]["n_features"])
            return {
                "n_features": x,
                "n": N,
                "test_risk": rk[s][x],
                "test_error": er[s][x],
                "train_error": (0.001 if (s, x) == off else train_past(rng)) if x >= N else 0.1,
                "norm": nm[s][x],
            }

        return fill(SPECS, summary)

    return gen


EFFECT = sweep(belkin(3.0, 0.8), belkin(1.3, 0.85), norm_shape(5.0))
NULL_SHAPES = {
    "flat with seed noise": flat,
    "monotone falling (test risk falls with N)": falling,
    "monotone rising": rising,
    "U-shaped, no second descent": u_shaped,
    "peak far past the threshold (N = 10 n)": late_peak(3.0, 1.0),
}
PEAK_NULLS = {name: sweep(shape) for name, shape in NULL_SHAPES.items()}
SECOND_NULLS = PEAK_NULLS | {"peak, no second descent": sweep(peak_no_second(3.0), peak_no_second(1.3))}
NORM_NULLS = PEAK_NULLS | {"norm peak at N = 2 n": sweep(flat, flat, late_peak(5.0, math.log10(2)))}
NOTE = (
    "nulls: flat with seed noise, monotone falling, monotone rising, U-shaped, a peak at N = 10 n{}; "
    "effect: Belkin's shape{}; 5 % point noise (3 % zero-one), 5 % seed offsets, 3 seeds"
)

CASES = {
    "interpolates": Case(
        nulls={
            "solves past N = n at 0.1-2 % train error": sweep(
                belkin(3.0, 0.8), train_past=lambda rng: rng.uniform(0.001, 0.02)
            ),
            "one solve past N = n not exact": sweep(belkin(3.0, 0.8), one_off=True),
        },
        effect=EFFECT,
        note="nulls: solves past N = n that do not fit exactly; effect: all at 0 training error",
    ),
    "peak": Case(nulls=PEAK_NULLS, effect=EFFECT, note=NOTE.format("", ", risk 3x the first minimum at N = n")),
    "second-descent": Case(
        nulls=SECOND_NULLS,
        effect=EFFECT,
        note=NOTE.format(", a peak with no second descent", ", risk 0.8x the first minimum at the largest N"),
    ),
    "peak-zero-one": Case(
        nulls=PEAK_NULLS, effect=EFFECT, note=NOTE.format("", ", zero-one error 1.3x the first minimum at N = n")
    ),
    "second-descent-zero-one": Case(
        nulls=SECOND_NULLS,
        effect=EFFECT,
        note=NOTE.format(
            ", a peak with no second descent", ", zero-one error 0.85x the first minimum at the largest N"
        ),
    ),
    "norm-peak": Case(
        nulls=NORM_NULLS, effect=EFFECT, note=NOTE.format(", a norm peak at N = 2 n", ", norm 5x its trend at N = n")
    ),
}
