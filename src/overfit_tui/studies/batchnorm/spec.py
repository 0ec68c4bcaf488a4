"""Study: how does BatchNorm help optimization? (Santurkar, Tsipras, Ilyas, Madry 2018, NeurIPS).

The same architecture trains without BatchNorm ("standard"), with it, and with "noisy"
BatchNorm (BN followed by random noise whose mean and variance change at every step:
engine.models.with_noisy_batchnorm), at several learning rates. Every `probe_every` steps a
loop hook (landscape.py, on the runner side) probes the loss landscape on the step's batch along the
gradient, for step sizes eta on a log grid from eta_lo*lr to eta_hi*lr: the loss range
(Fig. 4a), the gradient change ("gradient predictiveness", Fig. 4b) and the effective
beta-smoothness (Fig. 4c), weights and BN statistics untouched. The claim: with BatchNorm all
three are smaller, BN trains at learning rates where the standard net does not (Fig. 1), and
noisy BN, despite its unstable layer-input distributions, trains about as well as BN (Fig. 2).

Where this deviates from the paper, and why:
- CPU preset on MNIST-1D with an MLP and the MNIST-1D authors' 1-D CNN (the paper: VGG on
  CIFAR-10, in the GPU preset `batchnorm-cifar10-vgg`), so the claim shows in minutes.
- Plain SGD (momentum 0) by default, so the probe's step eta*g is the training step itself at
  eta = lr. The eta grid is relative to the learning rate (the paper: eta in [0.05, 0.4] at
  lr 0.1, i.e. [0.5, 4] x lr, our default).
- The probe uses the batch the step has just trained on (hooks run after the update).
- Noisy BN (our reading of the paper's Sec. 2.1: i.i.d. noise per activation and sample, from
  a non-zero-mean, non-unit-variance distribution redrawn at every step): per step and channel
  mu ~ U(-noise_mean, noise_mean), sigma ~ U(0, noise_std); each activation gets N(mu, sigma^2)
  added. Probes hold one draw fixed, so they measure one loss, not the noise.
- Not measured: the internal-covariate-shift metric of Sec. 2.2 (optional in the issue).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from typing import Literal

from overfit_tui.core.schema import Field, Stat
from overfit_tui.core.spec import check, field
from overfit_tui.core.specs import GroupSpec, ModelSpec, RunSpec
from overfit_tui.engine.declarations import TRAIN_FIELDS
from overfit_tui.studies.base import Figure, RunData, Series, Study, Table, carry
from overfit_tui.studies.replicates import replicate_series, replicates, scalar_series, stat
from overfit_tui.studies.shared.jobs import fused_jobs

Norm = Literal["none", "bn", "noisy_bn"]
NORM_LABELS = {"none": "standard", "bn": "+BN", "noisy_bn": "+noisy BN"}  # the paper's legend, short
NO_HIDDEN_LAYERS = ("linear",)

FIELDS = {
    f.key: f
    for f in (
        Field("loss_range", "loss range", "", ".3g", "lower", priority=1),
        Field("grad_change", "gradient change", "", ".3g", "lower", priority=2),
        Field("beta", "beta-smoothness", "", ".3g", "lower", priority=1),
        Field("probes", "probes", "", "d", priority=5),
    )
}


@dataclass(frozen=True)
class Settings:
    """The settings every run of a group carries: declared once, for Params and RunParams alike."""

    probe_every: int = field(50, "steps between two landscape probes", range="[1, 1e9]")
    eta_lo: float = field(0.5, "smallest probe step, in multiples of the learning rate", range="(0, 1000]")
    eta_hi: float = field(
        4.0, "largest probe step, in multiples of the learning rate (the paper: 0.4 at lr 0.1)", range="(0, 1000]"
    )
    n_eta: int = field(8, "probe steps, evenly spaced in log scale", range="[2, 1000]")
    probe_chunk: int = field(0, "probe steps evaluated at once (memory; 0 = all in one batched pass)", range="[0, 1e6]")
    noise_mean: float = field(
        0.5, "noisy BN: per-step channel means drawn from U(-noise_mean, noise_mean)", range="[0, 100]"
    )
    noise_std: float = field(
        0.5, "noisy BN: per-step channel standard deviations drawn from U(0, noise_std)", range="[0, 100]"
    )


@dataclass(frozen=True)
class Sweep:
    """What a group sweeps: a run per value (x the models and seeds)."""

    norms: tuple[Norm, ...] = field(("none", "bn", "noisy_bn"), "networks: none (standard), bn, noisy_bn")
    lrs: tuple[float, ...] = field(
        (0.1, 0.5, 2.0), "learning rates, one run of every network at each", range="(0, 100]"
    )


@dataclass(frozen=True)
class Params(Settings, Sweep):
    """What a group sweeps (x the preset's models and seeds) and how it probes."""

    def __post_init__(self):
        check(len(self.norms) > 0 and len(set(self.norms)) == len(self.norms), "norms", "needs distinct values")
        check(len(self.lrs) > 0 and all(lr > 0 for lr in self.lrs), "lrs", "needs positive learning rates")
        check(self.probe_every > 0, "probe_every", "must be > 0")
        check(0 < self.eta_lo < self.eta_hi, "eta_lo", "needs 0 < eta_lo < eta_hi")
        check(self.n_eta >= 2, "n_eta", "must be >= 2")
        check(self.probe_chunk >= 0, "probe_chunk", "must be >= 0")
        check(self.noise_mean >= 0, "noise_mean", "must be >= 0")
        check(self.noise_std >= 0, "noise_std", "must be >= 0")


@dataclass(frozen=True)
class RunParams(Settings):
    """One network at one learning rate."""

    norm: Norm = field("none", "none (standard), bn or noisy_bn")


class BatchNormSmoothness(Study):
    name = "batchnorm"
    title = "BatchNorm and loss-landscape smoothness"
    paper = "Santurkar, Tsipras, Ilyas, Madry 2018: How does batch normalization help optimization?"
    pane = "batch_norm"
    Params = Params
    RunParams = RunParams
    summary_fields = (
        TRAIN_FIELDS["final_train_acc"],
        TRAIN_FIELDS["final_test_acc"],
        *(FIELDS[k] for k in ("loss_range", "grad_change", "beta", "probes")),
    )

    def default_group(self) -> dict:
        return {
            "data": {"name": "mnist1d"},
            "models": [{"name": "mlp", "width": 128, "depth": 4}],
            "train": {
                "optimizer": "sgd",
                "momentum": 0.0,
                "lr_decay": 1.0,
                "batch_size": 128,
                "epochs": 30,
                "target_train_acc": 0.0,
                "log_every": 10,
            },
            "seeds": [0],
        }

    def validate(self, group: GroupSpec) -> None:
        for i, m in enumerate(group.models):
            hidden = m.name not in NO_HIDDEN_LAYERS and not (m.name == "mlp" and m.depth == 0)
            check(hidden, f"models[{i}]", "needs hidden layers to put BatchNorm in (not linear, not mlp depth 0)")
            check(not m.batchnorm, f"models[{i}].batchnorm", "set by params.norms, leave it false")
            check(m.dropout == 0, f"models[{i}].dropout", "dropout would make the probed loss random: leave it 0")
        check(group.train.optimizer == "sgd", "train.optimizer", "the probes step along the gradient: use sgd")

    def expand(self, group: GroupSpec) -> list[RunSpec]:
        p = group.params
        runs = []
        for model, norm, lr, seeds in itertools.product(group.models, p.norms, p.lrs, group.seeds):
            noisy = norm == "noisy_bn"
            rp = RunParams(norm=norm, **carry(Settings, p))
            if not noisy:  # the noise is noisy BN's alone: other runs carry none
                rp = replace(rp, noise_mean=0.0, noise_std=0.0)
            m = replace(model, batchnorm=norm != "none")
            t = replace(group.train, lr=lr)
            label = f"{model.label} {NORM_LABELS[norm]} lr={lr:g}" + group.seed_tag(seeds)
            runs.append(RunSpec(self.name, label, group.data, m, t, seeds, rp))
        return runs

    def jobs(self, runs: list[RunSpec], on_gpu: bool = False) -> list[list[int]]:
        return fused_jobs(runs, on_gpu)  # standard MLPs of one lr stack across seeds; BN nets train alone

    def claims(self) -> tuple:
        from overfit_tui.studies.batchnorm.claims import CLAIMS  # it reads this module's helpers

        return CLAIMS

    # -- figures and tables ---------------------------------------------------
    def figures(self, runs: list[RunData]) -> list[Figure]:
        figs = [_accuracy_vs_lr(runs)]
        for model, lr, rs in _panels(runs):
            where = f"{model}, lr={lr:g}"
            tag = f"{model}-{lr:g}".replace(" ", "")
            figs += [
                Figure(
                    f"range-{tag}",
                    f"Loss along -g, min and max over eta ({where})",
                    "step",
                    "loss L(w - eta g)",
                    _edges(rs, "loss_min", "loss_max"),
                ),
                Figure(
                    f"grad-{tag}",
                    f"Gradient predictiveness, min and max over eta ({where})",
                    "step",
                    "||grad L(w - eta g) - grad L(w)||",
                    _edges(rs, "grad_change_min", "grad_change_max"),
                ),
                Figure(
                    f"beta-{tag}",
                    f"Effective beta-smoothness ({where})",
                    "step",
                    "max ||grad change|| / ||eta g||",
                    _lines(rs, "beta"),
                    ylog=True,
                ),
            ]
        return figs

    def tables(self, runs: list[RunData]) -> list[Table]:
        """Cells are formatted strings (mean ± std over seeds): the pane and the CLI print cells as they are."""
        lrs = sorted({_lr(r) for r in runs})
        acc, land = [], []
        train_f, test_f = TRAIN_FIELDS["final_train_acc"], TRAIN_FIELDS["final_test_acc"]
        by_net: dict[tuple[str, str], dict[float, list[RunData]]] = {}
        for r in runs:
            by_net.setdefault((_model_name_of(r), _norm(r)), {}).setdefault(_lr(r), []).append(r)
        for (model, norm), at in by_net.items():
            row: list = [model, NORM_LABELS.get(norm, norm)]
            for lr in lrs:
                rs = at.get(lr, [])
                row += [_acc_cell(rs, "final_train_acc", train_f), _acc_cell(rs, "final_test_acc", test_f)]
            acc.append(tuple(row))
            for lr in sorted(at):
                rs = at[lr]
                land.append(
                    (
                        model,
                        NORM_LABELS.get(norm, norm),
                        f"{lr:g}",
                        *(FIELDS[k].format(stat(rs, k)) for k in ("loss_range", "grad_change", "beta")),
                    )
                )
        cols = ("model", "network", *(c for lr in lrs for c in (f"train lr={lr:g}", f"test lr={lr:g}")))
        landscape = Table(
            "Landscape along the gradient, mean over probes (Santurkar et al. 2018, Fig. 4): lower is smoother",
            ("model", "network", "lr", "loss range", "gradient change", "beta-smoothness"),
            tuple(land),
            (None, None, None, FIELDS["loss_range"], FIELDS["grad_change"], FIELDS["beta"]),
        )
        return [Table("Final accuracy per learning rate (Fig. 1)", cols, tuple(acc)), landscape]


def _acc_cell(rs: list[RunData], key: str, f: Field) -> str:
    """Mean ± std over seeds, with the runs that diverged (NaN loss) counted."""
    if not rs:
        return "-"
    diverged = sum(r.status == "diverged" for r in rs)
    ok = [r for r in rs if r.status != "diverged"]
    cell = f.format(Stat.of([r.summary.get(key) for r in ok])) if ok else "diverged"
    return f"{cell} ({diverged}/{len(rs)} diverged)" if diverged and ok else cell


def _model_name_of(r: RunData) -> str:
    """The model's label (ModelSpec.label) from a stored spec."""
    m = r.spec.get("model", {})
    return ModelSpec(name=m.get("name", "mlp"), width=m.get("width", 0), depth=m.get("depth", 1)).label


def _norm(r: RunData) -> str:
    return r.spec.get("params", {}).get("norm", "none")


def _lr(r: RunData) -> float:
    return float(r.spec.get("train", {}).get("lr", 0.0))


def _panels(runs: list[RunData]) -> list[tuple[str, float, list[RunData]]]:
    """(model, lr, runs) in first-seen model order and increasing lr: one panel of figures each."""
    at: dict[str, dict[float, list[RunData]]] = {}
    for r in runs:
        at.setdefault(_model_name_of(r), {}).setdefault(_lr(r), []).append(r)
    return [(m, lr, at[m][lr]) for m in at for lr in sorted(at[m])]


def _probe_curve(r: RunData, key: str) -> tuple[tuple, tuple]:
    pts = [(e["x"], e["values"].get(key)) for e in r.points("probe")]
    pts = [(x, y) for x, y in pts if isinstance(y, (int, float))]
    return tuple(x for x, _ in pts), tuple(y for _, y in pts)


def _probe_series(rs: list[RunData], key: str, name: str) -> Series | None:
    """A probe value over training: one run's curve, or the mean over seeds with a min-max band."""
    return replicate_series(name, [c for c in (_probe_curve(r, key) for r in rs) if c[0]])


def _by_norm(rs: list[RunData]) -> list[tuple[str, list[RunData]]]:
    order = {n: i for i, n in enumerate(NORM_LABELS)}
    groups = [(NORM_LABELS.get(_norm(g[0]), _norm(g[0])), g) for _, g in replicates(rs)]
    return sorted(groups, key=lambda ng: order.get(_norm(ng[1][0]), 9))


def _edges(rs: list[RunData], lo_key: str, hi_key: str) -> tuple[Series, ...]:
    """The band of a probe value over eta, drawn as its two edges per network (the pane draws lines)."""
    out = []
    for name, g in _by_norm(rs):
        for key, edge in ((hi_key, "max"), (lo_key, "min")):
            s = _probe_series(g, key, f"{name} {edge}")
            if s is not None:
                out.append(s)
    return tuple(out)


def _lines(rs: list[RunData], key: str) -> tuple[Series, ...]:
    return tuple(s for name, g in _by_norm(rs) if (s := _probe_series(g, key, name)) is not None)


def _accuracy_vs_lr(runs: list[RunData]) -> Figure:
    series = []
    nets: dict[str, list[RunData]] = {}
    for r in runs:
        nets.setdefault(f"{_model_name_of(r)} {NORM_LABELS.get(_norm(r), _norm(r))}", []).append(r)
    for name, rs in nets.items():
        series.append(scalar_series(name, rs, _lr, lambda r: _finished_acc(r)))
    return Figure(
        "acc-lr",
        "Final test accuracy vs learning rate (Fig. 1: BN trains at larger rates)",
        "learning rate",
        "test accuracy",
        tuple(series),
        xlog=True,
        hlines=((0.1, "chance (10 classes)"),),
    )


def _finished_acc(r: RunData) -> float | None:
    """A run's final test accuracy; a diverged run counts as chance (it did not train)."""
    return 0.1 if r.status == "diverged" else r.summary.get("final_test_acc")
