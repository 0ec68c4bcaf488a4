"""The claims of "Are all layers created equal?" (Zhang, Bengio, Singer 2019), checked on a
layer-robustness group as decisions over >= 3 seeds, model by model.

Each run gives, per layer, the test error with that layer re-initialized to its epoch-0
weights and with it re-randomized (mean over draws), and its final model's test error; a
layer's cost is the error after the operation minus its own run's final error (paired per
seed). The margin is the group's robustness `threshold` (5 points in the presets: the paper's
"within a few points"), fixed before measuring:

- `rerandomize-destroys`: for every layer, the re-randomized test error's one-sided 95 % lower
  bound is above chance - 10 points AND its cost's lower bound is above the threshold (a model
  that never learned is not "destroyed");
- `first-layer-critical`: the first layer's cost at epoch 0 has its lower bound above the threshold;
- `upper-layers-robust`: every layer of the upper half has its epoch-0 cost's upper bound at or
  below the threshold.

Lilian Weng's reproduction (3x256 MLP on MNIST) is the reference number where there is one.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from overfit_tui.studies.base import RunData
from overfit_tui.studies.claims import Claim, Mean, Verdict, all_hold, arms, exceeds, pending, seed_of, within
from overfit_tui.studies.replicates import replicates

RANDOM_MARGIN = 0.1  # re-randomized counts as "at chance" within 10 points of the chance error (Weng: 4-10 % acc)


class Seeded:
    """One model's runs read per seed: final test error, and per layer the epoch-0 and the
    re-randomized test error (mean over draws)."""

    def __init__(self, name: str, rs: list[RunData]):
        self.name = name
        data = rs[0].data
        k = data.gaussian_classes if data.name == "gaussian" else 10
        self.chance = 1 - 1 / k
        self.threshold = rs[0].params.threshold
        self.final: dict[tuple, float] = {}
        self.reinit0: dict[int, dict[tuple, float]] = {}
        self.rerand: dict[int, dict[tuple, float]] = {}
        self.layers: dict[int, str] = {}
        for r in rs:
            self._add(r)

    def _add(self, r: RunData) -> None:
        s = seed_of(r)
        rnd: dict[int, list[float]] = {}
        for e in r.points():
            v = e.get("values") or {}
            if e["name"] == "layer":
                self.layers.setdefault(int(e["x"]), str(v.get("label", e["x"])))
            elif e["name"] == "final":
                self.final[s] = v["test_err"]
            elif e["name"] == "reinit" and int(e["x"]) == 0:
                self.reinit0.setdefault(int(v["layer"]), {})[s] = v["test_err"]
            elif e["name"] == "rerandomize":
                rnd.setdefault(int(v["layer"]), []).append(v["test_err"])
        for i, vals in rnd.items():
            self.rerand.setdefault(i, {})[s] = sum(vals) / len(vals)

    def cost(self, cells: dict[int, dict[tuple, float]], i: int) -> Mean | None:
        """Mean over seeds of the layer's error after the operation minus the run's final error."""
        at = cells.get(i, {})
        return Mean.of(at[k] - self.final[k] for k in at if k in self.final)

    def label(self, i: int) -> str:
        return self.layers.get(i, str(i))

    def upper(self) -> list[int]:
        rows = sorted(self.layers)
        return rows[math.ceil(len(rows) / 2) :] or rows[-1:]


def _models(runs: list[RunData]) -> list[Seeded] | Verdict:
    got = arms(runs, trained_models=lambda r: True)
    if isinstance(got, Verdict):
        return got
    out = [Seeded(name, rs) for name, rs in replicates(got["trained_models"])]
    out = [m for m in out if m.layers and m.final]
    return out or pending("no finished run with evaluated layers")


def _pp(m: Mean | None) -> str:
    return "-" if m is None else f"{100 * m.mean:+.1f} pp"


def _per_model(check: Callable[[Seeded], list[tuple[str, Verdict]]], rule: str) -> Callable[[list[RunData]], Verdict]:
    def run(runs: list[RunData]) -> Verdict:
        models = _models(runs)
        if isinstance(models, Verdict):
            return models
        return all_hold([p for m in models for p in check(m)], rule, "no layer evaluated yet")

    return run


def _rerandomize(m: Seeded) -> list[tuple[str, Verdict]]:
    parts = []
    for i in sorted(m.layers):
        level = Mean.of(m.rerand.get(i, {}).values())
        v_level = exceeds(level, m.chance - RANDOM_MARGIN, "error")
        v_cost = exceeds(m.cost(m.rerand, i), m.threshold, "cost")
        v = v_level if v_level.status != "holds" else v_cost
        if v.status == "holds" and level is not None:
            v = Verdict("holds", f"{100 * level.mean:.1f} % error ({_pp(m.cost(m.rerand, i))})", v.detail, v.evidence)
        parts.append((f"{m.name} {m.label(i)}", v))
    return parts


def _first(m: Seeded) -> list[tuple[str, Verdict]]:
    first = min(m.layers)
    return [(f"{m.name} {m.label(first)}", exceeds(m.cost(m.reinit0, first), m.threshold, "cost"))]


def _upper(m: Seeded) -> list[tuple[str, Verdict]]:
    return [(f"{m.name} {m.label(i)}", within(m.cost(m.reinit0, i), -math.inf, m.threshold, "cost")) for i in m.upper()]


CLAIMS = (
    Claim(
        "rerandomize-destroys",
        "Re-randomizing any single layer (a fresh draw from its initializer) sends the model to chance.",
        "Fig. 1 (rnd column)",
        "≈ chance (Weng: 4-10 % accuracy)",
        _per_model(_rerandomize, "every layer: re-randomized error > chance - 10 pp and cost > threshold (95 %)"),
        margin=f"every layer, one-sided 95 %: re-randomized test error > chance - {RANDOM_MARGIN:g} and "
        "(error - final error) > the threshold (5 pp), paired per seed",
        fpr=0.0,
        power=1.0,
    ),
    Claim(
        "first-layer-critical",
        "Re-initializing the first layer to its initial weights (epoch 0) hurts.",
        "Fig. 1",
        "Weng: 56.6 % vs 95.9 % accuracy",
        _per_model(_first, "first layer reset to epoch 0: paired error rise > threshold (one-sided 95 %)"),
        margin="first layer reset to epoch 0: paired (error - final error) > the threshold (5 pp), one-sided 95 %",
        fpr=0.02,
        power=1.0,
    ),
    Claim(
        "upper-layers-robust",
        "The upper layers can be reset even to epoch 0 at little cost.",
        "Fig. 1",
        "Weng: 94.5 / 96.2 % vs 95.9 %",
        _per_model(_upper, "every upper-half layer reset to epoch 0: paired error rise <= threshold (one-sided 95 %)"),
        margin="every layer of the upper half reset to epoch 0: paired (error - final error) <= the threshold "
        "(5 pp), one-sided 95 % upper bound",
        fpr=0.0,
        power=0.95,
    ),
)
