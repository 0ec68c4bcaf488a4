"""Null and power cases of the memorization study's claims (Arpit et al. 2017)."""

from __future__ import annotations

import math
import random

from tests.studies.audit import Case
from tests.studies.synth import fill, group_runs, seed, seed_effects

STUDY = "memorization"
SEEDS = [0, 1, 2]
NULL_SD = 0.0012  # rho's binomial-null sd at n = 4,000, 20 inits, mean error 0.6 (first_epoch_summary)


def _group(**params) -> list[dict]:
    base = {"levels": [], "dropout": [], "weight_decay": [], "inits": 0}
    return group_runs(
        {
            "study": STUDY,
            "data": {"name": "mnist1d"},
            "models": [{"name": "mlp", "width": 64, "depth": 1}],
            "train": {"optimizer": "sgd", "lr": 0.1, "epochs": 150},
            "seeds": SEEDS,
            "params": base | params,
        }
    )


FIG1 = _group(inits=20)
SWEEP = _group(levels=[0.0, 0.5, 1.0])
MIXED = _group(levels=[0.0, 0.5])
REG = _group(dropout=[0.0, 0.5])


def _p(spec: dict) -> dict:
    return spec["params"]


def _fig1_kind(spec: dict) -> str:
    return "real" if _p(spec)["level"] == 0 else _p(spec)["kind"]


# -- Fig. 1 ---------------------------------------------------------------------------------
def _fig1(rho: dict[str, float], seed_sd: float = 0.0, run_sd: float = NULL_SD):
    """rho per data kind (real, randX, randY): the kind's value + a seed offset shared by every
    kind of that seed + per-run noise."""

    def gen(rng: random.Random):
        off = seed_effects(rng, len(SEEDS), seed_sd)

        def summary(spec):
            v = rho[_fig1_kind(spec)] + off[seed(spec)] + rng.gauss(0.0, run_sd)
            return {"fig1_rho": v, "fig1_rho_null_sd": NULL_SD}

        return fill(FIG1, summary)

    return gen


def _fig1_shuffled(rng: random.Random):
    """The effect's rho values with the data kinds shuffled within each seed."""
    vals = {s: rng.sample([0.3, 0.15, 0.15], 3) for s in range(len(SEEDS))}
    order = {"real": 0, "randX": 1, "randY": 2}
    return fill(FIG1, lambda sp: {"fig1_rho": vals[seed(sp)][order[_fig1_kind(sp)]], "fig1_rho_null_sd": NULL_SD})


# -- the sweep --------------------------------------------------------------------------------
def _sweep(per_level: float, sd: float = 0.1, shuffled: bool = False, censored: bool = False):
    """Epochs to fit = 40 * exp(per_level * level) * lognormal(sd); unfitted above the budget."""

    def gen(rng: random.Random):
        perms = {s: rng.sample([0.0, 0.5, 1.0], 3) for s in range(len(SEEDS))}

        def summary(spec):
            lv = _p(spec)["level"]
            if shuffled:
                lv = perms[seed(spec)][[0.0, 0.5, 1.0].index(lv)]
            e = 40 * math.exp(per_level * lv + rng.gauss(0.0, sd))
            return {"epochs_to_fit": None if censored or e >= 150 else e}

        return fill(SWEEP, summary)

    return gen


def _kept(clean: float, noisy: float, sd: float = 3.0, seed_sd: float = 5.0, stuck: bool = False):
    def gen(rng: random.Random):
        off = seed_effects(rng, len(SEEDS), seed_sd)

        def summary(spec):
            if _p(spec)["level"] == 0:
                return {"epochs_to_fit": 30.0}
            if stuck:
                return {"kept_clean_median": None, "kept_noisy_median": None}
            c = max(1.0, clean + off[seed(spec)] + rng.gauss(0.0, sd))
            n = max(1.0, noisy + off[seed(spec)] + rng.gauss(0.0, sd))
            return {"kept_clean_median": c, "kept_noisy_median": n}

        return fill(MIXED, summary)

    return gen


# -- regularizers -----------------------------------------------------------------------------
def _reg(noise_drop: float, val_drop: float, sd: float = 0.02, seed_sd: float = 0.03):
    """Noise data: noisy-subset train acc 0.9 without dropout, 0.9 - noise_drop with it; real
    data: val acc 0.6 without, 0.6 - val_drop with; seed offsets shared by a seed's runs."""

    def gen(rng: random.Random):
        off = seed_effects(rng, len(SEEDS), seed_sd)

        def summary(spec):
            d = _p(spec)["dropout"] > 0
            o = off[seed(spec)] + rng.gauss(0.0, sd)
            if _p(spec)["level"] > 0:
                return {"noisy_train_acc": 0.9 - noise_drop * d + o, "final_test_acc": 0.1}
            return {"final_test_acc": 0.6 - val_drop * d + o, "clean_train_acc": 1.0}

        return fill(REG, summary)

    return gen


FIG1_NOTE = (
    "rho per seed and data kind; binomial null sd 0.0012 (n = 4,000, 20 inits); effect: real 0.10-0.30, "
    "noise half of real, seed offsets sd 0.03"
)

CASES = {
    "fig1-real-consistent": Case(
        nulls={
            "binomial (rho 0)": _fig1({"real": 0.0, "randX": 0.0, "randY": 0.0}),
            "within 3 null sd": _fig1({"real": 3 * NULL_SD, "randX": 0.0, "randY": 0.0}, seed_sd=NULL_SD),
        },
        effect=_fig1({"real": 0.1, "randX": 0.05, "randY": 0.05}, seed_sd=0.03),
        note=FIG1_NOTE,
    ),
    **{
        f"fig1-{kind}-less-consistent": Case(
            nulls={
                "kinds identical up to noise": _fig1({"real": 0.3, "randX": 0.3, "randY": 0.3}, 0.05, 0.01),
                "noise more consistent": _fig1({"real": 0.15, "randX": 0.3, "randY": 0.3}, 0.05, 0.01),
                "kinds shuffled": _fig1_shuffled,
            },
            effect=_fig1({"real": 0.3, "randX": 0.15, "randY": 0.15}, 0.05, 0.02),
            note=FIG1_NOTE,
        )
        for kind in ("randX", "randY")
    },
    **{
        f"{kind}-slower": Case(
            nulls={
                "flat (seed noise)": _sweep(0.0),
                "levels shuffled": _sweep(math.log(3.0), shuffled=True),
                "nothing fits (censored)": _sweep(0.0, censored=True),
            },
            effect=_sweep(math.log(3.0)),
            note="epochs to fit 40 * 3^level (pure noise 3x slower, Zhang et al.'s CIFAR-10 factor) * "
            "lognormal(0.1); >= 150 unfitted",
        )
        for kind in ("randY", "randX")
    },
    **{
        f"{kind}-clean-first": Case(
            nulls={
                "arms identical up to noise": _kept(30.0, 30.0),
                "neither kept (stuck)": _kept(0.0, 0.0, stuck=True),
                "noisy first": _kept(40.0, 30.0),
            },
            effect=_kept(20.0, 40.0),
            note="median epochs learned and kept; effect: clean 20, noisy 40 (sd 3, seed offsets sd 5 shared)",
        )
        for kind in ("randY", "randX")
    },
    "dropout-hampers-noise": Case(
        nulls={
            "dropout does nothing": _reg(0.0, 0.0),
            "dropout hurts both alike": _reg(0.2, 0.2),
            "hurts noise fitting 3 pp more": _reg(0.23, 0.2),
        },
        effect=_reg(0.3, 0.02),
        note="noise train acc 0.9 -> 0.6 with dropout, real val acc 0.6 -> 0.58 (Fig. 8's shape); sd 0.02, seed sd 0.03",
    ),
}
