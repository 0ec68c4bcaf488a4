"""Study 4: the intrinsic dimension of the objective landscape (Li, Farkhoor, Liu, Yosinski
2018, "Measuring the intrinsic dimension of objective landscapes", Fig. 1-3, Table 1).

θ = θ₀ + P θ_d over all D parameters of a model (weights, biases, BatchNorm affine), θ₀ its
normal init (frozen), θ_d (zeros at the start) the only trained tensor (engine/subspace.py);
P dense, sparse or Fastfood with unit-norm columns (engine/projections.py), Fastfood instead
of the other two when they would exceed `max_projection_mb` (the run's summary says so).
Weight decay, where set, acts on the full θ. The **baseline** is the same model (same θ₀)
trained directly with the same optimizer and budget. d_int90 is read two ways, named in
every table (sweep.py): **relative** (the paper's definition: the smallest d
reaching 90 % of the baseline's accuracy) and **absolute** (the smallest d reaching a fixed
accuracy, the paper's 90 % on MNIST). Shuffled labels are measured on *training* accuracy,
as Li et al. do; the other variants on test accuracy.

Runs and jobs. Each d is its own run rather than one point event of a sweep run: the run
table then has a row per d with its d, accuracies and projection, each d has its own live
curves, and can be cancelled or restarted alone; the figures gather them by (model,
variant). One job per (model, variant, seed) trains its runs one after another in one worker:
the baseline first (its accuracy sets the threshold), then the log grid, then `refine`
bisection runs whose d is chosen at run time from the job's earlier results (their spec says
"bisection k"; their summary holds the d they trained). A job keeps its data and
Fastfood's pieces on the device across its d values, and every d of a seed uses the same
projection seed, so the subspaces are nested. A bisection run restarted alone has no
earlier results to bisect and says so; restart its whole sweep instead.

Deviations: d_int is the smallest *measured* d at or above the threshold (no
interpolation), per seed, then mean ± std over seeds; the MNIST-1D presets use Adam 1e-2 and
30 epochs (the data set's authors' rate; 1e-3 leaves MNIST-1D under-trained in a CPU budget),
Fastfood for every d (its cost does not grow with d), and an absolute threshold of 60 % (no
MLP reaches 90 % on MNIST-1D); shuffled labels there use Adam 1e-3 for 150 epochs.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from overfit_tui.core.schema import Field
from overfit_tui.core.spec import check, field
from overfit_tui.core.specs import GroupSpec, RunSpec
from overfit_tui.engine.declarations import PROJECTION_KINDS as KINDS
from overfit_tui.engine.declarations import TRAIN_FIELDS
from overfit_tui.engine.sizes import param_count
from overfit_tui.studies.base import Figure, RunData, Study, Table, carry
from overfit_tui.studies.claims import Claim
from overfit_tui.studies.intrinsic_dimension import figures

# RUNNER: randomize
from overfit_tui.studies.intrinsic_dimension.claims import CLAIMS
from overfit_tui.studies.intrinsic_dimension.sweep import bracket

Variant = Literal["true", "shuffled_pixels", "shuffled_labels"]
Projection = Literal["dense", "sparse", "fastfood"]
Role = Literal["baseline", "grid", "bisection"]
INPUT_SHAPES = {"mnist1d": (1, 40), "mnist": (1, 28, 28), "fashion-mnist": (1, 28, 28), "cifar10": (3, 32, 32)}


@dataclass(frozen=True)
class Settings:
    """The settings every run of a group carries: declared once, for Params and RunParams alike."""

    refine_on: Literal["relative", "absolute"] = field(
        "relative", "which crossing the bisection refines: 90 % of the baseline, or the absolute threshold"
    )
    absolute: float = field(0.9, "the absolute accuracy threshold (the paper's MNIST numbers use 0.9)", range="(0, 1]")
    projection: Projection = field("sparse", "random projection P: dense, sparse or fastfood")
    max_projection_mb: int = field(
        1024, "above this a dense or sparse P is replaced by Fastfood (MiB; 0 = never)", range="[0, 1e7]"
    )


@dataclass(frozen=True)
class Sweep:
    """What a group sweeps: a run per value (x the models and seeds)."""

    dims: tuple[int, ...] = field(
        (10, 30, 100, 300, 1000, 3000), "subspace dimensions d of the log grid", range="[1, 1e9]"
    )
    refine: int = field(
        3, "bisection runs after the grid, around the crossing (per model, variant and seed)", range="[0, 100]"
    )
    variants: tuple[Variant, ...] = field(
        ("true",), "data variants: true, shuffled_pixels (one permutation), shuffled_labels (on training accuracy)"
    )
    labels_lr: float = field(
        0.0, "learning rate of the shuffled-labels runs (0 = train.lr; the paper: Adam 1e-4)", range="[0, 100]"
    )
    labels_epochs: int = field(
        0, "epochs of the shuffled-labels runs (0 = train.epochs; the paper: 500)", range="[0, 1e6]"
    )


@dataclass(frozen=True)
class Params(Settings, Sweep):
    """The d sweep of one group: grid, refinement, projection, variants."""

    def __post_init__(self):
        check(len(self.dims) > 0, "dims", "needs at least one d")
        for i, d in enumerate(self.dims):
            check(d >= 1, f"dims[{i}]", f"d = {d}: the subspace dimension must be >= 1")
        check(len(set(self.dims)) == len(self.dims), "dims", "a d is listed twice")
        check(self.refine >= 0, "refine", "must be >= 0")
        check(0 < self.absolute <= 1, "absolute", "must be in (0, 1]")
        check(self.max_projection_mb >= 0, "max_projection_mb", "must be >= 0")
        check(len(self.variants) > 0, "variants", "needs at least one variant")
        check(len(set(self.variants)) == len(self.variants), "variants", "a variant is listed twice")
        check(self.labels_lr >= 0, "labels_lr", "must be >= 0")
        check(self.labels_epochs >= 0, "labels_epochs", "must be >= 0")


@dataclass(frozen=True)
class RunParams(Settings):
    """One run of a sweep: the baseline, a grid d, or a bisection step (d chosen at run time)."""

    role: Role = field("grid", "baseline (direct training), grid (a fixed d) or bisection (d chosen at run time)")
    d: int = field(0, "subspace dimension (grid runs; 0 for the baseline and bisection runs)", range="[0, 1e9]")
    step: int = field(0, "bisection step (1, 2, ...)", range="[0, 100]")
    variant: Variant = field("true", "data variant")

    def __post_init__(self):
        check(self.role != "grid" or self.d >= 1, "d", f"d = {self.d}: the subspace dimension must be >= 1")
        check(self.projection in KINDS, "projection", f"unknown projection {self.projection!r}")


def input_shape(group_data) -> tuple[int, ...]:
    if group_data.name == "gaussian":
        return (1, group_data.gaussian_dim)
    shape = INPUT_SHAPES[group_data.name]
    if group_data.crop and len(shape) == 3:
        return (shape[0], group_data.crop, group_data.crop)
    return shape


def model_size(model, data) -> int:
    """D: the model's parameter count on this data set (weights, biases, BatchNorm affine),
    counted from its spec (engine/sizes.py: no torch, so a group expands and its form validates
    without it); the runner counts the built model and gets the same number."""
    classes = data.gaussian_classes if data.name == "gaussian" else 10
    return param_count(model, input_shape(data), classes)


def projection_seed(init_seed: int) -> int:
    """One projection per replicate, shared by all its d (nested subspaces)."""
    return 1_000_003 * (init_seed + 1)


class IntrinsicDimension(Study):
    name = "intrinsic_dimension"
    title = "Intrinsic dimension"
    paper = "Li, Farkhoor, Liu, Yosinski 2018: Measuring the intrinsic dimension of objective landscapes"
    pane = "intrinsic_dimension"
    Params = Params
    RunParams = RunParams
    summary_fields = (
        Field("d", "d", "", "d", priority=1, missing="direct"),
        Field("D", "D", "", "d", priority=2),
        *(TRAIN_FIELDS[k] for k in ("final_train_acc", "final_test_acc")),
        Field("projection", "projection", priority=3),
        Field("projection_note", "projection note", priority=6),
        Field("bisection", "bisection", priority=5),
    )

    def default_group(self) -> dict:
        return {
            "data": {"name": "mnist1d"},
            "models": [{"name": "mlp", "width": 256, "depth": 2}],
            "train": {
                "optimizer": "adam",
                "lr": 0.01,
                "lr_decay": 1.0,
                "batch_size": 128,
                "epochs": 30,
                "target_train_acc": 0.0,
                "eval_every": 5,
                "log_every": 50,
            },
            "seeds": [0],
        }

    def validate(self, group: GroupSpec) -> None:
        p = group.params
        for i, m in enumerate(group.models):
            D = model_size(m, group.data)
            big = max(p.dims)
            check(big <= D, f"models[{i}]", f"d = {big:,} exceeds D = {D:,} of {m.label}: a subspace is at most D")
        check(group.train.optimizer in ("adam", "sgd"), "train.optimizer", "adam or sgd")

    def expand(self, group: GroupSpec) -> list[RunSpec]:
        p = group.params
        runs = []
        for model in group.models:
            for variant in p.variants:
                train_spec = group.train
                if variant == "shuffled_labels":
                    train_spec = replace(
                        train_spec, lr=p.labels_lr or train_spec.lr, epochs=p.labels_epochs or train_spec.epochs
                    )
                head = f"{model.label}" + ("" if variant == "true" else f" {variant.replace('_', ' ')}")
                common = {"variant": variant, **carry(Settings, p)}
                plan = [("baseline", RunParams(role="baseline", **common))]
                plan += [(f"d={d}", RunParams(role="grid", d=d, **common)) for d in sorted(p.dims)]
                plan += [
                    (f"bisection {k}", RunParams(role="bisection", d=0, step=k, **common))
                    for k in range(1, p.refine + 1)
                ]
                for seeds in group.seeds:
                    for what, rp in plan:
                        label = f"{head}: {what}{group.seed_tag(seeds)}"
                        runs.append(RunSpec(self.name, label, group.data, model, train_spec, seeds, rp))
        return runs

    def jobs(self, runs: list[RunSpec], on_gpu: bool = False) -> list[list[int]]:
        """One job per (model, variant, seed): its d values train one after another, the
        bisection reading the results before it."""
        by_sweep: dict[tuple, list[int]] = {}
        for i, r in enumerate(runs):
            by_sweep.setdefault((r.model, r.params.variant, r.seeds), []).append(i)
        return list(by_sweep.values())

    def claims(self) -> tuple[Claim, ...]:
        return CLAIMS

    def figures(self, runs: list[RunData]) -> list[Figure]:
        return figures.figures(runs)

    def tables(self, runs: list[RunData]) -> list[Table]:
        return figures.tables(runs)


def _why_no_bisection(points: dict, threshold: float | None) -> str:
    if threshold is None:
        return "no baseline in this job (restart the whole sweep to bisect)"
    if not points:
        return "no grid results in this job (restart the whole sweep to bisect)"
    return ""


def _bracket_text(points: dict, threshold: float) -> tuple[str, str]:
    lo, hi = bracket(points, threshold)
    return (f"d={lo}" if lo else "d=0"), (f"d={hi}" if hi else "D")
