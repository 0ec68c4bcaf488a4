"""Study 2a: finite-sample expressivity (Zhang et al. 2017, Theorem 1, Section 4).

A two-layer ReLU net with 2n + d weights fits any n targets exactly: project the samples
on a random direction a, sort the projections x_i, put a bias b_i just below each, and
solve the lower-triangular system for the output weights (O(n), float64). Beside it, a
two-layer net with the same parameter count trained on the same targets as `[train]` says
(optimizer, lr, momentum, batch size; squared loss) for `train_steps` steps.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from overfit_tui.core.schema import Field
from overfit_tui.core.spec import check, field
from overfit_tui.core.specs import GroupSpec, RunSpec, TrainSpec
from overfit_tui.studies.base import Figure, RunData, Series, Study, carry
from overfit_tui.studies.expressivity.claims import CLAIMS

Target = Literal["true", "random", "reals"]


@dataclass(frozen=True)
class Settings:
    """The settings every run of a group carries: declared once, for Params and RunParams alike."""

    n: int = field(1000, "samples to fit (the first n of the training set)", range="[2, 1e6]")
    train_steps: int = field(
        3000, "optimizer steps of the trained comparison (batches of train.batch_size)", range="[1, 1e9]"
    )


@dataclass(frozen=True)
class Sweep:
    """What a group sweeps: a run per target (and per method)."""

    targets: tuple[Target, ...] = field(("true", "random", "reals"), "true labels, random labels, random reals N(0,1)")
    trained: bool = field(True, "also train a two-layer net with the same parameter count ([train]'s optimizer)")


@dataclass(frozen=True)
class Params(Settings, Sweep):
    """Sample count, targets, and the trained comparison."""

    def __post_init__(self):
        check(self.n > 1, "n", "must be > 1")
        check(self.train_steps > 0, "train_steps", "must be > 0")


@dataclass(frozen=True)
class RunParams(Settings):
    method: Literal["construction", "trained"] = field(
        "construction", "closed-form 2n+d construction, or a same-size net trained by [train]'s optimizer"
    )
    target: Target = field("random", "what is fitted")


class Expressivity(Study):
    name = "expressivity"
    title = "Finite-sample expressivity (2n+d)"
    paper = "Zhang et al. 2017, Theorem 1"
    pane = "expressivity"
    Params = Params
    RunParams = RunParams
    summary_fields = (
        Field("params", "weights", "", "d", priority=1),
        Field("max_fit_error", "max fit error", "", ".2e", "lower", priority=1),
        Field("min_gap", "smallest gap", "", ".2e", priority=2),
        Field("max_weight", "largest weight", "", ".3g", priority=2),
        Field("optimizer", "trained by", priority=2),
    )

    def default_group(self) -> dict:
        return {
            "data": {"name": "mnist1d"},
            "models": [{"name": "mlp", "depth": 1}],
            "train": {"optimizer": "adam", "lr": 0.01, "lr_decay": 1.0, "batch_size": 4000},  # full batch
            "seeds": [0],
        }

    def expand(self, group: GroupSpec) -> list[RunSpec]:
        p = group.params
        runs = []
        methods = ["construction"] + (["trained"] if p.trained else [])
        for seeds in group.seeds:
            for target in p.targets:
                for m in methods:
                    rp = RunParams(method=m, target=target, **carry(Settings, p))
                    name = m if m == "construction" else _optimizer_name(group.train, p.n)
                    label = f"{name}: {target}" + group.seed_tag(seeds)
                    runs.append(RunSpec(self.name, label, group.data, group.models[0], group.train, seeds, rp))
        return runs

    def claims(self) -> tuple:

        return CLAIMS

    def jobs(self, runs: list[RunSpec], on_gpu: bool = False) -> list[list[int]]:
        return [list(range(len(runs)))]  # all closed-form or small: one worker, data loaded once

    def figures(self, runs: list[RunData]) -> list[Figure]:
        figs = []
        cons = [r for r in runs if r.params.method == "construction" and r.points("projection")]
        if cons:
            pts = cons[0].points("projection")
            figs.append(
                Figure(
                    "projections",
                    f"Sorted projections x_i and biases b_i ({cons[0].label})",
                    "i",
                    "value",
                    (
                        Series("x_i", tuple(p["x"] for p in pts), tuple(p["values"]["x"] for p in pts), True),
                        Series("b_i", tuple(p["x"] for p in pts), tuple(p["values"]["b"] for p in pts), True),
                    ),
                )
            )
        done = [r for r in runs if "max_fit_error" in r.summary]
        if done:
            series = []
            for m in ("construction", "trained"):
                rs = [r for r in done if r.params.method == m]
                if rs:
                    name = m if m == "construction" else rs[0].summary.get("optimizer", m)
                    series.append(
                        Series(
                            name,
                            tuple(range(len(rs))),
                            tuple(max(r.summary["max_fit_error"], 1e-16) for r in rs),
                            True,
                        )
                    )
            figs.append(
                Figure(
                    "fit",
                    "Max fit error per target (true, random, reals)",
                    "target #",
                    "max |f(z)-y|",
                    tuple(series),
                    ylog=True,
                )
            )
        return figs


def _optimizer_name(spec: TrainSpec, n: int) -> str:
    """What the comparison really is, e.g. 'full-batch adam' or 'sgd (batch 100)'."""
    return f"full-batch {spec.optimizer}" if spec.batch_size >= n else f"{spec.optimizer} (batch {spec.batch_size})"
