"""Null and power cases of the lottery claims (Frankle & Carbin 2019).

Groups are `lottery-mnist1d`'s shape (MLP 2x256, 11 rounds of 0.8² / 0.9², levels 64.6 %
... 1.0 %, three arms, 3 seeds) expanded through the study's own `expand`. Every seed has an
offset shared by all its runs (seed-level noise, which the paired comparisons cancel and the
old unpaired means did not), plus per-run noise: 0.7 points of test accuracy and 50 steps of
early stop (MNIST-1D's spreads: 0.2-2.5 points between seeds, early stop checked every 25
steps). Early-stop steps are censored at the 2,000-step budget, as the real ones are.

The effect (the paper's Fig. 3/4 shape, in MNIST-1D units): tickets at 21-51 % +2 points above
dense and early-stopping 30 % sooner; back at dense at 5 %, -4 / -10 points at 3.3 / 2.2 %;
reinit 0 behind above 21 %, 3-10 points behind below and 50 % slower; random pruning 2 points
under reinit.
"""

from __future__ import annotations

import random

from tests.studies.audit import Case
from tests.studies.synth import clip01, fill, group_runs, seed, seed_effects

STUDY = "lottery"
GROUP = {
    "study": "lottery",
    "name": "audit",
    "data": {"name": "mnist1d"},
    "models": [{"name": "mlp", "width": 256, "depth": 2, "init": "glorot_uniform"}],
    "train": {
        "optimizer": "adam",
        "lr": 2e-3,
        "lr_decay": 1.0,
        "batch_size": 100,
        "epochs": 10000,
        "max_steps": 2000,
        "target_train_acc": 0.0,
    },
    "params": {"rounds": 11, "rate_fc": 0.36, "rate_output": 0.19},
    "seeds": [0, 1, 2],
}
BUDGET = 2000
ACC_SD, STEP_SD, SEED_ACC, SEED_STEP = 0.005, 0.08, 0.015, 60.0
DENSE_ACC, DENSE_STEP = 0.62, 400.0


def _specs() -> list[dict]:
    return group_runs(GROUP)


def _gen(acc_fn, step_fn):
    """acc_fn(arm, left) -> accuracy offset from dense; step_fn(arm, left) -> step factor of dense."""

    def gen(rng: random.Random):
        sa, ss = seed_effects(rng, 3, SEED_ACC), seed_effects(rng, 3, SEED_STEP)

        def summary(spec):
            p, s = spec["params"], seed(spec)
            arm, left = ("dense" if p["round"] == 0 else p["arm"]), p["remaining"]
            acc = clip01(DENSE_ACC + sa[s] + acc_fn(arm, left) + rng.gauss(0, ACC_SD))
            step = (DENSE_STEP + ss[s]) * step_fn(arm, left) * (1 + rng.gauss(0, STEP_SD))
            step = min(BUDGET, max(25, 25 * round(step / 25)))
            return {"early_stop_test_acc": acc, "early_stop_step": step, "final_test_acc": acc, "remaining": left}

        return fill(_specs(), summary)

    return gen


# -- the paper's shape ---------------------------------------------------------------------------
def _ticket_gain(left: float) -> float:
    if left >= 0.2:
        return 0.02 if left <= 0.52 else 0.01
    if left >= 0.045:
        return 0.02 * (left - 0.045) / (0.2 - 0.045)  # back to dense at ~5 %
    return {0.0333: -0.04, 0.0224: -0.10}.get(round(left, 4), -0.15)


def _reinit_gap(left: float) -> float:
    if left > 0.21:
        return 0.0
    return 0.03 + 0.07 * (0.21 - left) / 0.21  # 3 points behind at 21 %, 10 at the sparsest


def _paper_acc(arm: str, left: float) -> float:
    if arm == "dense":
        return 0.0
    t = _ticket_gain(left)
    if arm == "ticket":
        return t
    r = min(t, 0.0) * 1.2 - _reinit_gap(left) if left < 0.21 else t - 0.005
    return r if arm == "reinit" else r - 0.02


def _paper_step(arm: str, left: float) -> float:
    if arm == "dense":
        return 1.0
    t = 0.65 if left >= 0.2 else 0.65 + 3 * (0.2 - left) / 0.2  # fastest in 21-51 %, slower below
    return t if arm == "ticket" else t * 1.5


PAPER = _gen(_paper_acc, _paper_step)

# -- nulls -----------------------------------------------------------------------------------------
FLAT = _gen(lambda arm, left: 0.0, lambda arm, left: 1.0)  # every arm the dense net, up to noise


def _decline(left: float) -> float:
    return -0.12 * max(0.0, (0.3 - left) / 0.3) ** 2  # monotone: worse the sparser, from 30 % on


MONOTONE = _gen(lambda arm, left: _decline(left), lambda arm, left: 1.0 + 2 * max(0.0, 0.6 - left))
# arms identical up to noise, curves with the paper's ticket shape (the reinit claims' null)
ARMS_IDENTICAL = _gen(
    lambda arm, left: 0.0 if arm == "dense" else _ticket_gain(left),
    lambda arm, left: 1.0 if arm == "dense" else _paper_step("ticket", left),
)


def _one_level(arm: str, left: float) -> float:  # the old false positive: one level beats dense
    return 0.02 if arm == "ticket" and 0.4 < left < 0.45 else 0.0


ONE_LEVEL = _gen(_one_level, lambda arm, left: 0.7 if arm == "ticket" and 0.4 < left < 0.45 else 1.0)
LATE_FALL = _gen(lambda arm, left: -0.1 if left < 0.018 else 0.0, lambda arm, left: 1.0)  # falls below 1.8 % only


def _some_arm_holds(arm: str, left: float) -> float:  # ticket and reinit fall, random pruning does not
    return 0.0 if arm == "random" or left > 0.04 else -0.05


SOME_ARM = _gen(_some_arm_holds, lambda arm, left: 1.0)

NOTE_FAST = "nulls: flat (every arm = dense), monotone decline, one level of 21-51 % better (the old any-level rule)"
CASES = {
    "ticket-matches-dense": Case(
        nulls={"flat": FLAT, "monotone": MONOTONE, "one level only": ONE_LEVEL},
        effect=PAPER,
        note=NOTE_FAST + "; effect: tickets +2 points at 21-51 %",
    ),
    "ticket-learns-faster": Case(
        nulls={"flat": FLAT, "monotone": MONOTONE, "one level only": ONE_LEVEL},
        effect=PAPER,
        note=NOTE_FAST + "; effect: tickets early-stop 30 % sooner at 21-51 %",
    ),
    "reinit-worse": Case(
        nulls={"flat": FLAT, "monotone": MONOTONE, "arms identical": ARMS_IDENTICAL},
        effect=PAPER,
        note="nulls: flat, monotone decline shared by every arm, reinit = ticket up to noise; "
        "effect: reinit 3-10 points behind below 21 %",
    ),
    "reinit-slower": Case(
        nulls={"flat": FLAT, "monotone": MONOTONE, "arms identical": ARMS_IDENTICAL},
        effect=PAPER,
        note="nulls: flat, monotone slow-down shared by every arm, reinit = ticket up to noise; "
        "effect: reinit early-stops 50 % later",
    ),
    "extreme-degrades": Case(
        nulls={"flat": FLAT, "falls below 1.8 % only": LATE_FALL, "one arm holds": SOME_ARM},
        effect=PAPER,
        note="nulls: flat, a fall only beyond 1.8 %, random pruning not falling; "
        "effect: ticket -4 / -10 points at 3.3 / 2.2 %, controls lower",
    ),
}
