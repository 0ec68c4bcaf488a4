"""The claims of "Are all layers created equal?" (Zhang, Bengio, Singer 2019), checked on a
layer-robustness group: per model, over its finished seeds (means of the stored cells).

Robustness is the test error after an operation minus the final model's; "costs little"
means at most the group's `threshold`. Lilian Weng's reproduction (3x256 MLP on MNIST) is
given as the reference number where there is one.
"""

from __future__ import annotations

import math

from overfit_tui.studies.base import RunData
from overfit_tui.studies.claims import Claim, Verdict, finished, pending, verdict
from overfit_tui.studies.layer_views import RND, Grid, grids

RANDOM_MARGIN = 0.1  # a re-randomized model counts as "at chance" within 10 points of the chance error


def _grids(runs: list[RunData]) -> list[Grid]:
    return [g for g in grids(finished(runs)) if g.finals and g.test]


def _mean(vals) -> float | None:
    return sum(vals) / len(vals) if vals else None


def _pp(v: float) -> str:
    return f"{100 * v:+.1f} pp"


def _check_rerandomize(runs: list[RunData]) -> Verdict:
    gs = _grids(runs)
    if not gs:
        return pending("no finished run with evaluated layers")
    worst = []  # (model, layer, mean error) of each model's least harmful re-randomization
    for g in gs:
        errs = [(g.layers[i][0], _mean(g.test.get((i, RND)))) for i in sorted(g.layers)]
        name, low = min(((n, e) for n, e in errs if e is not None), key=lambda t: t[1])
        worst.append((g, name, low))
    ok = all(low >= g.chance - RANDOM_MARGIN for g, _, low in worst)
    measured = ", ".join(f"{g.name}: {name} {100 * low:.1f} % error" for g, name, low in worst)
    return verdict(ok, measured, f"least harmful layer's mean test error >= chance - {RANDOM_MARGIN:g}")


def _delta0(g: Grid, i: int) -> float | None:
    return _mean(g.delta.get((i, 0)))


def _check_first_layer(runs: list[RunData]) -> Verdict:
    gs = [g for g in _grids(runs) if _delta0(g, min(g.layers)) is not None]
    if not gs:
        return pending("no finished run with its first layer re-initialized to epoch 0")
    cost = [(g, _delta0(g, min(g.layers))) for g in gs]
    ok = all(d > g.threshold for g, d in cost)
    measured = ", ".join(f"{g.name}: {_pp(d)}" for g, d in cost)
    return verdict(ok, measured, "first layer reset to epoch 0: test error rise above the threshold")


def _check_upper_layers(runs: list[RunData]) -> Verdict:
    out = []
    for g in _grids(runs):
        rows = sorted(g.layers)
        upper = rows[math.ceil(len(rows) / 2) :] or rows[-1:]
        costs = [(g.layers[i][0], _delta0(g, i)) for i in upper]
        costs = [(n, d) for n, d in costs if d is not None]
        if costs:
            out.append((g, max(costs, key=lambda t: t[1])))
    if not out:
        return pending("no finished run with its upper layers re-initialized to epoch 0")
    ok = all(d <= g.threshold for g, (_, d) in out)
    measured = ", ".join(f"{g.name}: worst {n} {_pp(d)}" for g, (n, d) in out)
    thr = ", ".join(sorted({f"{100 * g.threshold:.1f} pp" for g, _ in out}))
    return verdict(ok, measured, f"every layer of the upper half reset to epoch 0 costs at most {thr}")


CLAIMS = (
    Claim(
        "rerandomize-destroys",
        "Re-randomizing any single layer (a fresh draw from its initializer) sends the model to chance.",
        "Fig. 1 (rnd column)",
        "≈ chance (Weng: 4-10 % accuracy)",
        _check_rerandomize,
    ),
    Claim(
        "first-layer-critical",
        "Re-initializing the first layer to its initial weights (epoch 0) hurts.",
        "Fig. 1",
        "Weng: 56.6 % vs 95.9 % accuracy",
        _check_first_layer,
    ),
    Claim(
        "upper-layers-robust",
        "The upper layers can be reset even to epoch 0 at little cost.",
        "Fig. 1",
        "Weng: 94.5 / 96.2 % vs 95.9 %",
        _check_upper_layers,
    ),
)
