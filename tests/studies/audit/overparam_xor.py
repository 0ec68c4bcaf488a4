"""Null audit of overparam_xor (Brutzkus & Globerson 2019, notes Fig. 13-15).

Groups are the preset's shape (10 seeds, compression to k = 2 from the largest k) with a
smaller k grid. Test errors are drawn per run: a mean by k (or by start) plus a per-seed offset
shared by that seed's runs (its data set) and run noise, clipped to [0, 1]. The paper's effect
(notes Fig. 13, 15): test error falls from ~10 % at k = 2 to ~1 % at k = 100 at zero training
error; a k = 2 net from the large net's centres lands near the large net (~1-2 %).
"""

from __future__ import annotations

import random

from tests.studies.audit import Case
from tests.studies.synth import clip01, fill, group_runs, seed, seed_effects

from .. import synth

STUDY = "overparam_xor"
SEEDS = 10  # the preset's
KS = (2, 10, 100)
GROUP = {
    "study": STUDY,
    "seeds": list(range(SEEDS)),
    "params": {"ks": list(KS), "compress_to": 2, "compress": ["centres", "scaled"]},
}
SPECS = group_runs(GROUP)
EFFECT = {2: 0.10, 10: 0.04, 100: 0.01}  # test error by k (falls ~4.5 points per decade)
COMPRESSED = 0.015  # a k = 2 net from the centres: near the large net


def _init(spec: dict) -> str:
    return spec["params"]["init"]


def _k(spec: dict) -> int:
    return spec["params"]["k"]


def _group(rng: random.Random, test_err, train_err=lambda spec: 0.0, sd: float = 0.03, seed_sd: float = 0.02):
    off = seed_effects(rng, SEEDS, seed_sd)

    def summary(spec):
        return {
            "k": _k(spec),
            "init": _init(spec),
            "test_error": clip01(test_err(spec) + off[seed(spec)] + synth.noise(rng, sd)),
            "train_error": train_err(spec),
        }

    return fill(SPECS, summary)


def _sweep(levels: dict[int, float], comp: float | None = None):
    def err(spec):
        if _init(spec) != "random":
            return levels[2] if comp is None else comp
        return levels[_k(spec)]

    return err


# -- fits ---------------------------------------------------------------------------------------
def fits_effect(rng):
    return _group(rng, _sweep(EFFECT, COMPRESSED))


def fits_stuck(rng):  # the large net stays at one wrong training point on every seed
    return _group(rng, _sweep(EFFECT, COMPRESSED), lambda spec: 1 / 16)


def fits_half(rng):  # each seed of every k fits or not by a coin flip
    return _group(rng, _sweep(EFFECT, COMPRESSED), lambda spec: 0.0 if rng.random() < 0.5 else 1 / 16)


# -- error-falls ----------------------------------------------------------------------------------
def falls_effect(rng):
    return _group(rng, _sweep(EFFECT, COMPRESSED))


def falls_flat(rng):
    return _group(rng, _sweep({k: 0.05 for k in KS}))


def falls_bump(rng):  # not a trend: higher at the middle k, equal at the ends
    return _group(rng, _sweep({2: 0.04, 10: 0.10, 100: 0.04}))


def falls_rises(rng):
    return _group(rng, _sweep({2: 0.01, 10: 0.04, 100: 0.10}))


def falls_only_noise(rng):  # flat, with large bimodal run noise (small nets stuck now and then)
    return _group(rng, _sweep({k: 0.05 for k in KS}), sd=0.08, seed_sd=0.04)


# -- compression ----------------------------------------------------------------------------------
def comp_effect(rng):
    return _group(rng, _sweep(EFFECT, COMPRESSED))


def comp_identical(rng):  # the compressed start is the random start up to noise
    return _group(rng, _sweep(EFFECT))


def comp_small_gain(rng):  # a gain of 1 point (below the 2-point margin)
    return _group(rng, _sweep(EFFECT, EFFECT[2] - 0.01))


def comp_worse(rng):
    return _group(rng, _sweep(EFFECT, EFFECT[2] + 0.03))


COMP_NOTE = (
    "nulls: the compressed k = 2 net's test error equal to random init's up to seed and run noise, 1 point "
    "better (under the 2-point margin), 3 points worse; effect: 10 % (random) vs 1.5 % (compressed), run "
    "sd 3 points, seed sd 2 points, 10 seeds"
)
CASES = {
    "fits": Case(
        nulls={"stuck at one training error": fits_stuck, "fits on half the seeds": fits_half},
        effect=fits_effect,
        note="nulls: the largest net misses 1 of 16 training points on every seed, or on each seed by a coin "
        "flip; effect: every seed at 0 (10 seeds)",
    ),
    "error-falls": Case(
        nulls={
            "flat": falls_flat,
            "bump at the middle k": falls_bump,
            "rises with k": falls_rises,
            "flat, heavy noise": falls_only_noise,
        },
        effect=falls_effect,
        note="nulls: test error flat at 5 % (run sd 3 and 8 points), 4 % / 10 % / 4 % (a bump), rising "
        "with k; effect: 10 % / 4 % / 1 % at k = 2 / 10 / 100, run sd 3 points, seed sd 2 points, 10 seeds",
    ),
    "compression": Case(
        nulls={"arms identical": comp_identical, "gain under the margin": comp_small_gain, "worse": comp_worse},
        effect=comp_effect,
        note=COMP_NOTE,
    ),
    "compression-scaled": Case(
        nulls={"arms identical": comp_identical, "gain under the margin": comp_small_gain, "worse": comp_worse},
        effect=comp_effect,
        note=COMP_NOTE,
    ),
}
