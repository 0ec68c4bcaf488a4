"""Null audit of the kernel study's claims (Zhang et al. 2017, Sec. 5): synthetic groups in the
kernel-mnist1d preset's shape (Gaussian on raw inputs, Gaussian and linear on random ReLU
features; true and random labels; 3 seeds; 1,000 test points).

Effect (the paper gives MNIST 1.2 % error and no random-label norm): true-label test error 35 %
(MNIST-1D scale) with 1 % seed sd, random labels at chance with binomial noise; the random-label
norm 1.2x the true-label norm with 3 % seed noise on each."""

from __future__ import annotations

import math
import random

from tests.studies.audit import Case
from tests.studies.synth import fill, group_runs, seed

STUDY = "kernel"
SPECS = group_runs(
    {
        "study": STUDY,
        "data": {"name": "mnist1d"},
        "seeds": [0, 1, 2],
        "params": {"kernels": ["gaussian", "linear"], "random_features": [0, 8000], "labels": [0.0, 1.0]},
    }
)
BINOMIAL_SD = math.sqrt(0.9 * 0.1 / 1000)


def _setup(spec):
    return (spec["params"]["kernel"], spec["params"]["random_features"])


def group(true_err=0.35, rand_err=0.9, ratio=1.2, exact=lambda rng, spec: True, odd_setup=None, shuffle=False):
    """`odd_setup`: (setup, true_err, ratio) for one setup that differs from the rest;
    `shuffle`: true/random norms swapped on a random half of the seeds."""

    def gen(rng: random.Random):
        drawn = {}

        def summary(spec):
            s, setup, p = seed(spec), _setup(spec), spec["params"]["p"]
            te, rt = (odd_setup[1], odd_setup[2]) if odd_setup and setup == odd_setup[0] else (true_err, ratio)
            base = drawn.setdefault((setup, s), (rng.gauss(0, 0.01), rng.gauss(0, 0.03), rng.random() < 0.5))
            err = te + base[0] if p == 0 else rand_err + rng.gauss(0, BINOMIAL_SD)
            log_norm = math.log(50.0) + base[1] + (math.log(rt) if (p == 1) != (shuffle and base[2]) else 0.0)
            log_norm += rng.gauss(0, 0.03)
            ok = exact(rng, spec)
            return {
                "interpolant": ok,
                "train_error": 0.0 if ok else 0.01,
                "max_residual": 1e-10 if ok else 1e-3,
                "test_error": min(1.0, max(0.0, err)),
                "norm": math.exp(log_norm),
            }

        return fill(SPECS, summary)

    return gen


def _one_off(rng: random.Random):
    pick = rng.randrange(len(SPECS))
    return lambda _rng, spec: spec is not SPECS[pick]


def one_solve_not_exact(rng: random.Random):
    return group(exact=_one_off(rng))(rng)


EFFECT = group()
CASES = {
    "interpolates": Case(
        nulls={
            "one solve not exact": one_solve_not_exact,
            "every solve a least-squares fit": group(exact=lambda rng, spec: False),
        },
        effect=EFFECT,
        note="nulls: a solve whose residual is 1e-3 (one, or all); effect: every residual 1e-10",
    ),
    "generalizes": Case(
        nulls={
            "true labels at chance": group(true_err=0.9),
            "random labels below chance (leak)": group(rand_err=0.8),
            "one setup at chance": group(odd_setup=(("linear", 8000), 0.9, 1.2)),
        },
        effect=EFFECT,
        note="nulls: true-label error at chance, random-label error 80 % (a leak), one setup at chance; "
        "effect: true 35 % (1 % seed sd), random 90 % with binomial noise, 3 seeds",
    ),
    "norm-grows": Case(
        nulls={
            "arms identical up to noise": group(ratio=1.0),
            "labels shuffled between arms": group(shuffle=True),
            "one setup without growth": group(odd_setup=(("gaussian", 0), 0.35, 1.0)),
        },
        effect=EFFECT,
        note="nulls: equal norms up to 3 % noise, true/random swapped on random seeds, one setup with equal "
        "norms; effect: random-label norm 1.2x, 3 % noise, 3 seeds",
    ),
}
