"""Study 3a: double descent for neural nets (Belkin, Hsu, Ma, Mandal 2018, Fig. 3-4).

One-hidden-layer nets of growing width H on a fixed n-sample training set, squared loss,
no regularization, Glorot-uniform init. Below the interpolation threshold (n*K parameters)
each net starts from the previous smaller net's trained weights, new weights ~ N(0, 0.01)
(weight reuse); its step size decays (train.lr_decay every train.lr_decay_every epochs:
x0.9 every 500 in the paper) and it stops at zero training error. Above the threshold: a
fresh init and a fixed step size for the whole budget (the paper's SI). One chain of widths
per seed; the figures show the mean over seeds and its range. x axis: parameters
(d+1)H + (H+1)K, log scale.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from overfit_tui.core.schema import Field
from overfit_tui.core.spec import check, field
from overfit_tui.core.specs import GroupSpec, RunSpec, TrainSpec
from overfit_tui.engine.declarations import TRAIN_FIELDS
from overfit_tui.studies.base import Figure, RunData, Study, carry
from overfit_tui.studies.replicates import scalar_series
from overfit_tui.studies.shared.descent import descent_claims
from overfit_tui.studies.shared.jobs import seed_jobs


@dataclass(frozen=True)
class Settings:
    """The settings every run of a group carries: declared once, for Params and RunParams alike."""

    label_noise: float = field(
        0.0,
        "fraction of training labels redrawn at random (the paper: none; 0.15 makes the peak clearer)",
        range="[0, 1]",
    )
    weight_reuse: bool = field(True, "below the threshold, start from the previous width's trained weights")
    new_weight_std: float = field(
        0.1, "std of the new weights added by weight reuse (Belkin: variance 0.01)", range="[0, 100]"
    )
    belkin_schedule: bool = field(
        True,
        "below n*K: decay the lr per train.lr_decay(_every) and stop at zero training error; "
        "above: fixed lr, full budget (Belkin et al.); false = every width trains with train as given",
    )


@dataclass(frozen=True)
class Sweep:
    """What a group sweeps: a run per value (x the models and seeds)."""

    widths: tuple[int, ...] = field(
        (2, 4, 8, 12, 16, 20, 24, 32, 48, 64, 128, 256, 512), "hidden units H, one run each", range="[1, 1e6]"
    )


@dataclass(frozen=True)
class Params(Settings, Sweep):
    def __post_init__(self):
        check(len(self.widths) > 0 and all(w > 0 for w in self.widths), "widths", "needs positive widths")
        check(0 <= self.label_noise <= 1, "label_noise", "must be in [0, 1]")


@dataclass(frozen=True)
class RunParams(Settings):
    width: int = field(8, "hidden units", range="[1, 1e6]")


def n_params(d: int, h: int, k: int) -> int:
    return (d + 1) * h + (h + 1) * k


def width_train(spec: TrainSpec, below: bool, belkin: bool) -> TrainSpec:
    """Belkin et al.'s SI: below the threshold the step size decays and training stops at zero
    training error; above it the step size is fixed and the whole budget is trained."""
    if not belkin:
        return spec
    if below:
        return replace(spec, target_train_acc=1.0)
    return replace(spec, lr_decay=1.0, target_train_acc=0.0)


class DoubleDescentNN(Study):
    name = "double_descent_nn"
    title = "Double descent: width sweep"
    paper = "Belkin, Hsu, Ma, Mandal 2018: Reconciling modern machine learning practice and the bias-variance trade-off"
    pane = "double_descent"
    Params = Params
    RunParams = RunParams
    summary_fields = (
        Field("params", "parameters", "", "d", priority=1),
        *(TRAIN_FIELDS[k] for k in ("final_train_acc", "final_test_acc", "final_test_loss")),
        Field("stop_at_fit", "stops at fit", priority=3),
    )

    def default_group(self) -> dict:
        return {
            "data": {"name": "mnist1d", "n_train": 1000},
            "models": [{"name": "mlp", "depth": 1, "init": "glorot_uniform"}],
            "train": {
                "optimizer": "sgd",
                "lr": 0.005,
                "momentum": 0.95,
                "lr_decay": 0.9,
                "lr_decay_every": 500,
                "loss": "mse",
                "batch_size": 100,
                "epochs": 300,
                "target_train_acc": 0.0,
                "fuse": "off",
            },
            "seeds": [0],
        }

    def validate(self, group: GroupSpec) -> None:
        check(
            group.models[0].name == "mlp" and group.models[0].depth == 1,
            "models",
            "double descent uses one hidden layer (mlp, depth 1)",
        )

    def expand(self, group: GroupSpec) -> list[RunSpec]:
        p = group.params
        runs = []
        for s in group.seeds:
            for w in sorted(set(p.widths)):
                m = replace(group.models[0], width=w)
                rp = RunParams(width=w, **carry(Settings, p))
                runs.append(
                    RunSpec(
                        self.name,
                        f"H={w}" + group.seed_tag(s),
                        group.data,
                        m,
                        group.train_for(m),
                        s,
                        rp,
                    )
                )
        return runs

    def jobs(self, runs: list[RunSpec], on_gpu: bool = False) -> list[list[int]]:
        return seed_jobs(runs)  # a chain per seed: each width reuses the previous one's weights

    def claims(self) -> tuple:
        return CLAIMS

    def figures(self, runs: list[RunData]) -> list[Figure]:
        """Mean over seeds at each width, with the seeds' min-max band."""
        done = [r for r in runs if "params" in r.summary and "final_test_acc" in r.summary]
        thr = next((r.summary["threshold"] for r in done), None)
        vl = ((thr, "n*K"),) if thr else ()
        x = lambda r: r.summary["params"]
        zero_one = (
            scalar_series("test", done, x, lambda r: 1 - r.summary["final_test_acc"]),
            scalar_series("train", done, x, lambda r: 1 - r.summary["final_train_acc"]),
        )
        sq = (
            scalar_series("test", done, x, lambda r: r.summary["final_test_loss"]),
            scalar_series("train", done, x, lambda r: r.summary["final_train_loss"]),
        )
        return [
            Figure("zero_one", "Zero-one loss vs parameters", "parameters", "error", zero_one, xlog=True, vlines=vl),
            Figure("squared", "Squared loss vs parameters", "parameters", "squared loss", sq, xlog=True, vlines=vl),
        ]


def _error(key: str):
    return lambda r: None if r.summary.get(key) is None else 1 - r.summary[key]


# audited (fpr, power) per claim: tests/studies/audit/double_descent_nn.py
RATES = {
    "interpolates": (0.0, 1.0),
    "peak": (0.025, 0.99),
    "second-descent": (0.0, 0.98),
    "peak-squared": (0.015, 1.0),
    "second-descent-squared": (0.0, 0.98),
}
# Fig. 3 plots the zero-one error and the squared loss: each is its own pair of claims
CLAIMS = descent_claims(
    lambda r: r.summary.get("params"),
    lambda r: r.summary.get("threshold"),
    {
        "": ("zero-one error", _error("final_test_acc")),
        "-squared": ("squared loss", lambda r: r.summary.get("final_test_loss")),
    },
    _error("final_train_acc"),
    "Fig. 3",
    RATES,
)
