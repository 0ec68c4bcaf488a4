"""What the connectivity study is: its parameters, how a group expands into pairs, its summary
fields. No torch here (train.py trains; figures.py and claims.py read finished runs).

One run is one pair (A, B) at one first-layer width: A trains from the run's seeds, B from seeds
shifted by `B_SEED_SHIFT` (another init and another data order). Then the straight line between
them, and a quadratic Bezier curve whose middle point is trained on the expected training loss
along the curve (t ~ U(0, 1) per minibatch, Garipov et al. 2018), are evaluated at `n_points`
values of t.

Where this deviates from the papers, and why:
- The CPU preset uses MNIST-1D (1,000 training samples) and one-hidden-layer MLPs, so the width
  of the first hidden layer crosses the sample count n (Nguyen's condition) in minutes; the
  papers used VGG-16 / ResNet / Wide-ResNet on CIFAR (see `connectivity-cifar10-vgg`).
- The curve trains for `curve_epochs` (Garipov: as long as the end points, 200-600 epochs), with
  the end points' optimizer and learning rate unless `curve_lr` is set; no BatchNorm (a point of
  a path would need its own BN statistics: refused by `validate`).
- Barriers: max over the t grid of the path's value minus the mean of its two ends (the issue's
  definition; Draxler et al. report the saddle's height above the higher end, Frankle et al. 2020
  the same mean-of-ends form).
- For an MLP deeper than one hidden layer, every hidden layer has the swept width (the engine's
  MLP); Nguyen's condition is on the first.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from overfit_tui.core.spec import check, field
from overfit_tui.core.specs import SEED_MAX, GroupSpec, RunSpec, Seeds
from overfit_tui.engine.declarations import TRAIN_FIELDS
from overfit_tui.studies.base import Figure, RunData, Study, Table, carry
from overfit_tui.studies.connectivity.claims import CLAIMS
from overfit_tui.studies.connectivity.fields import FIELDS
from overfit_tui.studies.connectivity.figures import figures, tables

B_SEED_SHIFT = 1_000_003  # B's init and order seeds: A's plus this (mod 2**32): independent of A's
PATH_MODELS = ("mlp", "cnn1d", "vgg11", "lenet", "conv2", "conv4", "conv6", "lenet_300_100")


@dataclass(frozen=True)
class Settings:
    """The settings every run of a group carries: declared once, for Params and RunParams alike."""

    n_points: int = field(21, "values of t evaluated on each path, evenly spaced in [0, 1]", range="[3, 1001]")
    curve_epochs: int = field(0, "epochs of training the curve's middle point; 0 = train.epochs", range="[0, 1e6]")
    curve_lr: float = field(0.0, "learning rate of the curve's training; 0 = train.lr", range="[0, 1e6]")
    align: bool = field(False, "also the line after matching B's hidden units to A's (1-hidden-layer MLPs)")


@dataclass(frozen=True)
class Sweep:
    """What a group sweeps (x the preset's model and seeds)."""

    widths: tuple[int, ...] = field(
        (4, 16, 64, 256, 2048), "first hidden layer widths (mlp) or channel widths (conv nets)", range="[1, 65536]"
    )


@dataclass(frozen=True)
class Params(Settings, Sweep):
    def __post_init__(self):
        check(len(self.widths) > 0 and len(set(self.widths)) == len(self.widths), "widths", "needs distinct widths")
        check(self.n_points >= 3, "n_points", "needs >= 3 points (the issue: >= 21)")


@dataclass(frozen=True)
class RunParams(Settings):
    """One pair at one width."""

    width: int = field(64, "first hidden layer width", range="[1, 65536]")


def b_seeds(s: Seeds) -> Seeds:
    """Network B's seeds: another init and another data order than A's (A's own are the run's)."""
    return Seeds((s.init + B_SEED_SHIFT) % (SEED_MAX + 1), (s.order + B_SEED_SHIFT) % (SEED_MAX + 1), s.noise)


class ModeConnectivity(Study):
    name = "connectivity"
    title = "Mode connectivity: loss along lines and curves between minima"
    paper = "Nguyen 2019 (notes §5.1); Garipov et al. 2018; Draxler et al. 2018"
    pane = "overparameterization"  # Nguyen 2019: a wide first layer (notes §5.1, overparameterization)
    Params = Params
    RunParams = RunParams
    summary_fields = (
        FIELDS["width"],
        TRAIN_FIELDS["final_train_acc"],
        TRAIN_FIELDS["final_test_acc"],
        *(
            FIELDS[k]
            for k in (
                "line_barrier",
                "curve_barrier",
                "line_barrier_err",
                "curve_barrier_err",
                "aligned_barrier",
                "ends_ens_acc",
                "curve_ens_acc",
                "curve_mid_acc",
            )
        ),
    )

    def default_group(self) -> dict:
        return {
            "data": {"name": "mnist1d", "n_train": 1000},
            "models": [{"name": "mlp", "depth": 1}],
            "train": {
                "optimizer": "sgd",
                "lr": 0.05,
                "momentum": 0.9,
                "lr_decay": 1.0,
                "batch_size": 100,
                "epochs": 100,
                "target_train_acc": 0.0,
                "log_every": 50,
            },
            "seeds": [0, 1, 2],
        }

    def validate(self, group: GroupSpec) -> None:
        check(len(group.models) == 1, "models", "one architecture per group: params.widths sweeps its width")
        m = group.models[0]
        check(m.name in PATH_MODELS, "models[0].name", f"a path model: {', '.join(PATH_MODELS)}")
        check(not m.batchnorm, "models[0].batchnorm", "each point of a path would need its own BN statistics")
        check(m.dropout == 0, "models[0].dropout", "dropout makes the path's loss random: leave it 0")
        check(not group.data.augment, "data.augment", "the curve trains on the plain set: the ends do too")
        if group.params.align:
            check(m.name == "mlp" and m.depth == 1, "params.align", "weight matching is for 1-hidden-layer MLPs")

    def expand(self, group: GroupSpec) -> list[RunSpec]:
        p, m = group.params, group.models[0]
        runs = []
        for w in sorted(p.widths):
            for s in group.seeds:
                rp = RunParams(width=w, **carry(Settings, p))
                model = replace(m, width=w)
                runs.append(
                    RunSpec(self.name, f"w={w}" + group.seed_tag(s), group.data, model, group.train_for(m), s, rp)
                )
        return runs

    def claims(self) -> tuple:
        return CLAIMS

    def figures(self, runs: list[RunData]) -> list[Figure]:
        return figures(runs)

    def tables(self, runs: list[RunData]) -> list[Table]:
        return tables(runs)
