"""Study 1: randomization tests (Zhang et al. 2017, "Understanding deep learning requires
rethinking generalization", Fig. 1 and Table 4).

One run per condition: true labels, labels corrupted with probability p, random labels,
shuffled pixels (one permutation), random pixels (a permutation per image), Gaussian
inputs. The figures: training loss vs steps, steps to fit vs corruption, test error vs
corruption. Same-shaped runs of a group train stacked in one worker (see engine/nets.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from overfit_tui.core.spec import check, field
from overfit_tui.core.specs import GroupSpec, RunSpec
from overfit_tui.engine.declarations import TRAIN_FIELDS
from overfit_tui.studies.base import Figure, RunData, Study
from overfit_tui.studies.randomization.claims import CLAIMS
from overfit_tui.studies.randomization.figures import figures
from overfit_tui.studies.shared.jobs import INPUT_CONDITIONS, fused_jobs

Condition = Literal["labels", "shuffled_pixels", "random_pixels", "gaussian"]


@dataclass(frozen=True)
class Params:
    """The conditions of one randomization group."""

    corruption: tuple[float, ...] = field(
        (0.0, 0.2, 0.4, 0.6, 0.8, 1.0),
        "label corruption levels p (0 = true labels, 1 = random labels); each label is redrawn uniformly with prob. p",
        range="[0, 1]",
    )
    inputs: tuple[Condition, ...] = field(
        INPUT_CONDITIONS, "input conditions: shuffled_pixels, random_pixels, gaussian"
    )

    def __post_init__(self):
        for i, p in enumerate(self.corruption):
            check(0.0 <= p <= 1.0, f"corruption[{i}]", "must be in [0, 1]")
        check("labels" not in self.inputs, "inputs", "'labels' is set through corruption")


@dataclass(frozen=True)
class RunParams:
    """One condition."""

    condition: Condition = field("labels", "labels (with corruption p) or an input condition")
    p: float = field(0.0, "label corruption probability (condition 'labels' only)", range="[0, 1]")


def condition_label(rp: RunParams) -> str:
    if rp.condition != "labels":
        return rp.condition.replace("_", " ")
    if rp.p == 0:
        return "true labels"
    if rp.p == 1:
        return "random labels"
    return f"corrupt p={rp.p:g}"


class Randomization(Study):
    name = "randomization"
    title = "Randomization tests"
    paper = "Zhang, Bengio, Hardt, Recht, Vinyals 2017: Understanding deep learning requires rethinking generalization"
    pane = "randomization"
    Params = Params
    RunParams = RunParams
    summary_fields = tuple(
        TRAIN_FIELDS[k] for k in ("final_train_acc", "final_test_acc", "steps_to_fit", "seconds_to_fit")
    )

    def default_group(self) -> dict:
        return {
            "data": {"name": "mnist1d"},
            "models": [{"name": "mlp", "width": 512, "depth": 1}],
            "train": {
                "optimizer": "sgd",
                "lr": 0.01,
                "momentum": 0.9,
                "lr_decay": 1.0,
                "batch_size": 128,
                "epochs": 300,
            },
            "seeds": [0],
        }

    def expand(self, group: GroupSpec) -> list[RunSpec]:
        conds = [RunParams("labels", p) for p in group.params.corruption] + [RunParams(c) for c in group.params.inputs]
        runs = []
        for model in group.models:
            for seeds in group.seeds:
                for rp in conds:
                    label = condition_label(rp)
                    if len(group.models) > 1:
                        label = f"{model.label}: {label}"
                    label += group.seed_tag(seeds)
                    runs.append(RunSpec(self.name, label, group.data, model, group.train_for(model), seeds, rp))
        return runs

    def jobs(self, runs: list[RunSpec], on_gpu: bool = False) -> list[list[int]]:
        return fused_jobs(runs, on_gpu)

    def claims(self) -> tuple:
        return CLAIMS

    def figures(self, runs: list[RunData]) -> list[Figure]:
        return figures(runs)
