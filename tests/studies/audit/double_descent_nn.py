"""Null audit of double_descent_nn's claims (Belkin et al. 2018, Fig. 3): synthetic width sweeps
in the preset's shape (MNIST-1D n = 1,000, threshold n*K = 10,000 parameters, 12 widths, 3 seeds).

Noise: 3 % per point (zero-one error; 5 % squared loss) and a 5 % offset per seed. The effect,
modelled on Fig. 3 (not read off it): the peak at the threshold 1.2x the under-parameterized
minimum and the widest nets 0.85x it (zero-one error); 1.5x and 0.8x for the squared loss."""

from __future__ import annotations

import random

from overfit_tui.studies.double_descent_nn.spec import n_params
from tests.studies.audit import Case
from tests.studies.synth import fill, group_runs, seed
from tests.studies.synth_descent import (
    belkin,
    curve,
    falling,
    flat,
    late_peak,
    peak_no_second,
    rising,
    u_shaped,
)

STUDY = "double_descent_nn"
WIDTHS = [4, 8, 16, 32, 64, 128, 196, 256, 512, 1024, 2048, 4096]
THRESHOLD = 10_000
GROUP = {
    "study": STUDY,
    "data": {"name": "mnist1d", "n_train": 1000},
    "seeds": [0, 1, 2],
    "train": {"epochs": 1},
    "params": {"widths": WIDTHS},
}
SPECS = group_runs(GROUP)
XS = [float(n_params(40, w, 10)) for w in WIDTHS]


def _x(spec: dict) -> float:
    return float(n_params(40, spec["params"]["width"], 10))


def sweep(err_shape, sq_shape=None, train_past=lambda rng: 0.0):
    """A group: zero-one error and squared loss curves per seed; train error 0 past the threshold
    unless `train_past` says otherwise."""
    sq_shape = sq_shape or err_shape

    def gen(rng: random.Random):
        err = {s: curve(rng, err_shape, 0.3, XS, THRESHOLD, 0.03, 0.05) for s in range(3)}
        sq = {s: curve(rng, sq_shape, 0.8, XS, THRESHOLD, 0.05, 0.05) for s in range(3)}

        def summary(spec):
            s, x = seed(spec), _x(spec)
            train = train_past(rng) if x >= THRESHOLD else 0.2
            return {
                "params": x,
                "threshold": THRESHOLD,
                "final_test_acc": 1 - err[s][x],
                "final_test_loss": sq[s][x],
                "final_train_acc": 1 - train,
            }

        return fill(SPECS, summary)

    return gen


NULL_SHAPES = {
    "flat with seed noise": flat,
    "monotone falling (test risk falls with N)": falling,
    "monotone rising": rising,
    "U-shaped, no second descent": u_shaped,
    "peak far past the threshold": late_peak(1.3, 1.0),
}
EFFECT = sweep(belkin(1.2, 0.85), belkin(1.5, 0.8))


def _nulls(shapes):
    # every null shape on both metrics at once, so each claim sees it on the metric it reads
    return {name: sweep(shape) for name, shape in shapes.items()}


PEAK_NULLS = _nulls(NULL_SHAPES)
SECOND_NULLS = _nulls(NULL_SHAPES | {"peak, no second descent": peak_no_second(1.2)})
NOTE_PEAK = (
    "nulls: flat with seed noise, monotone falling, monotone rising, U-shaped, a peak far past the "
    "threshold; effect: Belkin's shape, peak 1.2x (squared loss 1.5x) the first minimum; 3 % point "
    "noise, 5 % seed offsets, 3 seeds"
)
NOTE_SECOND = NOTE_PEAK.replace("a peak far past", "a peak at the threshold with no second descent, a peak far past")

CASES = {
    "interpolates": Case(
        nulls={
            "one seed's widest nets at 0.5 % train error": sweep(
                belkin(1.2, 0.85), train_past=lambda rng: 0.005 if rng.random() < 0.5 else 0.0
            ),
            "every net past the threshold at 0.1-2 % train error": sweep(
                belkin(1.2, 0.85), train_past=lambda rng: rng.uniform(0.001, 0.02)
            ),
        },
        effect=EFFECT,
        note="nulls: nets past the threshold that do not reach 0 training error; effect: all at 0",
    ),
    "peak": Case(nulls=PEAK_NULLS, effect=EFFECT, note=NOTE_PEAK),
    "second-descent": Case(nulls=SECOND_NULLS, effect=EFFECT, note=NOTE_SECOND),
    "peak-squared": Case(nulls=PEAK_NULLS, effect=EFFECT, note=NOTE_PEAK),
    "second-descent-squared": Case(nulls=SECOND_NULLS, effect=EFFECT, note=NOTE_SECOND),
}
