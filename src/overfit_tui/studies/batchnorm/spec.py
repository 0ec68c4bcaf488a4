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

from overfit_tui.core.spec import check, field
from overfit_tui.core.specs import GroupSpec, RunSpec
from overfit_tui.engine.declarations import TRAIN_FIELDS
from overfit_tui.studies.base import Figure, RunData, Study, Table, carry
from overfit_tui.studies.batchnorm.claims import CLAIMS
from overfit_tui.studies.batchnorm.figures import FIELDS, NORM_LABELS, figures, tables
from overfit_tui.studies.shared.jobs import fused_jobs

Norm = Literal["none", "bn", "noisy_bn"]
NO_HIDDEN_LAYERS = ("linear",)


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
        return CLAIMS

    def figures(self, runs: list[RunData]) -> list[Figure]:
        return figures(runs)

    def tables(self, runs: list[RunData]) -> list[Table]:
        return tables(runs)
