"""Null and power cases of the complexity study's claims (Neyshabur et al. 2017, Jiang et al. 2020).

One synthetic group shaped like `complexity-mnist1d` (corruption 0 / 0.2 / 0.5 / 1 x widths 64 /
256 / 1,024 x 500 and 1,000 samples x 3 seeds, every run at the stopping criterion), with made-up
summaries: the papers' effect with seed noise, or a null (the gap flat in p; the measures flat in
p; the measure unrelated to the gap; random-label runs that never reached the criterion)."""

from __future__ import annotations

import random

from tests.studies.audit import Case
from tests.studies.synth import fill, group_runs, seed, seed_effects

STUDY = "complexity"
SEEDS = 3
GROUP = {
    "study": "complexity",
    "data": {"name": "mnist1d", "n_train": 1000},
    "models": [{"name": "mlp", "depth": 1}],
    "train": {"epochs": 3000, "batch_size": 128, "target_train_acc": 0.99},
    "seeds": list(range(SEEDS)),
    "params": {"corruption": [0.0, 0.2, 0.5, 1.0], "widths": [64, 256, 1024], "n_train": [500, 1000]},
}
SPECS = group_runs(GROUP)
MEASURES = ("log_l2_margin", "log_path_margin", "log_spec_bound", "log_sharpness", "log_pacbayes")
TRUE_GAP = 0.57  # MNIST-1D, 1,000 samples: train 99 %, test ~42 % (true labels)
RANDOM_GAP = 0.89  # test at chance
GAP_SD = 0.02  # seed spread of one run's gap (a 1,000-sample test set: ~1.6 pp binomial)
LOG_RATIO = 0.5  # Neyshabur et al. Fig. 1: random labels' measures x3 (10^0.5) and more above true ones
LOG_SD = 0.1  # seed spread of a log10 measure


def _hp(spec):
    p = spec["params"]
    return p["p"], p["width"], p["n_train"]


def group(rng: random.Random, *, gap_rise=RANDOM_GAP - TRUE_GAP, log_ratio=LOG_RATIO, coupling=None, unfit=0.0):
    """A group with the papers' effect, unless a keyword swaps one part for a null.

    gap_rise: gap(p = 1) - gap(p = 0); log_ratio: every measure's log10 rise from p = 0 to 1;
    coupling: None, or 'none' (the ranked measure independent of the gap); unfit: the chance a
    random-label run misses the stopping criterion."""
    off = seed_effects(rng, SEEDS, 0.01)

    def summary(spec):
        p, w, n = _hp(spec)
        i = seed(spec)
        gap = TRUE_GAP + gap_rise * p - 0.01 * (w == 1024) + off[i] + rng.gauss(0, GAP_SD)
        s = {"fitted": not (p == 1.0 and rng.random() < unfit), "gap": gap, "n_params": 51 * w + 10}
        s["final_train_acc"] = 0.99 if s["fitted"] else 0.9
        for k in MEASURES:
            s[k] = 3.0 + log_ratio * p + rng.gauss(0, LOG_SD)
        if coupling == "none":
            s["log_sharpness"] = rng.gauss(3.0, 0.3)
        else:  # the ranked measure follows the gap (with noise): what Jiang et al. find for sharpness
            s["log_sharpness"] = 3.0 + 2.0 * gap + rng.gauss(0, 0.05)
        return s

    return fill(SPECS, summary)


CASES = {
    "params-blind": Case(
        nulls={
            "gap flat in p": lambda rng: group(rng, gap_rise=0.0),
            "gap rise below margin": lambda rng: group(rng, gap_rise=0.05),
        },
        effect=lambda rng: group(rng),
        note="gap true 0.57 -> random 0.89 (MNIST-1D at 1,000 samples) vs flat or a 5 pp rise, seed sd 2 pp",
    ),
    "norms-grow": Case(
        nulls={"measures flat in p": lambda rng: group(rng, log_ratio=0.0)},
        effect=lambda rng: group(rng),
        note="log10 ratio random / true 0.5 (x3, Neyshabur Fig. 1) vs 0, seed sd 0.1",
    ),
    "sharpness-grows": Case(
        nulls={"measures flat in p": lambda rng: group(rng, log_ratio=0.0, coupling="none")},
        effect=lambda rng: group(rng),
        note="log10 ratio random / true 0.5 vs 0, seed sd 0.1 (1/sigma'^2 follows the gap; flat in the null)",
        extra={"30 % of random-label runs unfitted": lambda rng: group(rng, unfit=0.3)},
    ),
    "sharpness-ranks": Case(
        nulls={"measure unrelated to the gap": lambda rng: group(rng, coupling="none")},
        effect=lambda rng: group(rng),
        note="1/sigma'^2 = a + 2 gap + noise (tau ~ 0.5 within groups) vs independent of the gap",
    ),
}
