"""Null and power cases of the layer-robustness claims (Zhang, Bengio, Singer 2019).

Groups: one MLP with 4 weight layers, 3 seeds, threshold 5 points. Each run's points carry its
final test error, every layer's test error re-initialized to epoch 0 and re-randomized (2 draws).
The paper's effect is Lilian Weng's MNIST reproduction in test error: final 4.1 %; layer 1 reset
to epoch 0 43.4 %, then 8.0, 5.5, 3.8 % (costs +39, +4, +1.4, -0.3 points); re-randomized 90-96 %.
Seed noise: final error sd 0.5 points, the first layer's cost sd 5 points (the 4k MNIST run's
spread), the other layers' sd 1 point, re-randomized errors sd 2 points.
"""

from __future__ import annotations

import random

from tests.studies.audit import Case
from tests.studies.synth import clip01, fill, group_runs, seed

STUDY = "layer_robustness"
LAYERS = 4
GROUP = {
    "study": "layer_robustness",
    "name": "audit",
    "data": {"name": "mnist1d"},
    "models": [{"name": "mlp", "width": 16, "depth": LAYERS - 1}],
    "train": {"optimizer": "sgd", "lr": 0.05, "epochs": 6, "target_train_acc": 0.0},
    "seeds": [0, 1, 2],
    "params": {"checkpoints": [0, 5], "draws": 2, "threshold": 0.05},
}
SPECS = group_runs(GROUP)
FINAL = 0.041
WENG = (0.39, 0.04, 0.014, -0.003)  # cost of resetting each layer to epoch 0
COST_SD = (0.05, 0.01, 0.01, 0.01)
RERAND = (0.93, 0.93, 0.93, 0.93)  # re-randomized test error per layer


def group(rng: random.Random, cost=WENG, rerand=RERAND, final=FINAL) -> list:
    finals = {i: clip01(final + rng.gauss(0, 0.005)) for i in range(3)}

    def events(spec):
        f = finals[seed(spec)]
        ev = [{"kind": "point", "name": "layer", "x": i, "values": {"label": f"fc{i + 1}"}} for i in range(LAYERS)]
        ev.append({"kind": "point", "name": "final", "x": 6, "values": {"train_err": 0.0, "test_err": f}})
        for i in range(LAYERS):
            for d in range(2):
                te = clip01(rerand[i] + rng.gauss(0, 0.02))
                ev.append({"kind": "point", "name": "rerandomize", "x": d, "values": {"layer": i, "test_err": te}})
            te0 = clip01(f + cost[i] + rng.gauss(0, COST_SD[i]))
            ev.append({"kind": "point", "name": "reinit", "x": 0, "values": {"layer": i, "test_err": te0}})
            ev.append({"kind": "point", "name": "reinit", "x": 5, "values": {"layer": i, "test_err": f}})
        return ev

    return fill(SPECS, lambda s: {"final_test_err": finals[seed(s)]}, events)


ROBUST = (0.01, 0.01, 0.01, 0.01)  # every layer robust: +1 point
CRITICAL = (0.2, 0.2, 0.2, 0.2)  # every layer critical: +20 points
SHUFFLED = (0.014, -0.003, 0.39, 0.04)  # Weng's costs in another layer order

CASES = {
    "rerandomize-destroys": Case(
        nulls={
            "all layers robust to re-randomization": lambda rng: group(rng, rerand=(0.06,) * 4),
            "the last layer survives re-randomization": lambda rng: group(rng, rerand=(0.93, 0.93, 0.93, 0.08)),
            "a model that never learned": lambda rng: group(rng, final=0.88, rerand=(0.9,) * 4),
            "re-randomized at chance - 10 points": lambda rng: group(rng, rerand=(0.8,) * 4),
        },
        effect=lambda rng: group(rng),
        note="nulls: re-randomization costs 2 points, spares the last layer, hits a model that never learned, "
        "or leaves 80 % error (the margin); effect: 93 % error in every layer (Weng: 4-10 % accuracy)",
    ),
    "first-layer-critical": Case(
        nulls={
            "all layers equally robust": lambda rng: group(rng, cost=ROBUST),
            "layer order shuffled": lambda rng: group(rng, cost=SHUFFLED),
            "first layer 1 point below the threshold": lambda rng: group(rng, cost=(0.04, 0.04, 0.014, -0.003)),
        },
        effect=lambda rng: group(rng),
        note="nulls: every layer +1 point, Weng's costs in a shuffled order (first layer +1.4), or the first "
        "layer at +4 points, 1 point short of the 5-point threshold (at the threshold itself a one-sided 95 % "
        "test holds 5 % of the time by construction); effect: Weng's +39 points, seed sd 5",
    ),
    "upper-layers-robust": Case(
        nulls={
            "all layers equally critical": lambda rng: group(rng, cost=CRITICAL),
            "layer order shuffled": lambda rng: group(rng, cost=SHUFFLED),
            "an upper layer 1 point above the threshold": lambda rng: group(rng, cost=(0.39, 0.04, 0.06, -0.003)),
        },
        effect=lambda rng: group(rng),
        note="nulls: every layer +20 points, Weng's costs shuffled (layer 3 +39), or layer 3 at +6 "
        "points, 1 point past the 5-point threshold; effect: Weng's upper layers +1.4 and -0.3 points, seed sd 1",
    ),
}
