"""Study 7a: memorization dynamics (Arpit et al. 2017, "A closer look at memorization in deep
networks", ICML).

Four experiments on one data set, as one group:
- **Fig. 1, easy examples**: per replicate and data kind (real data, randX: every input
  Gaussian noise, randY: every label random), `inits` networks from different initializations
  and minibatch orders each train ONE epoch on the same (fixed) training set; each example's
  misclassification rate over the inits is its difficulty. On real data the same examples are
  easy (or hard) in every run: the rates spread far beyond the binomial spread that
  independent coin flips with the same mean error would give. On noise data no example is
  consistently easy: the rates stay near that binomial. The run's summary holds the
  consistency rho = (var_i(rate_i) - pq/T) / (pq (1 - 1/T)) (p the mean error, q = 1 - p,
  T inits): 0 under the binomial null, 1 when every example is always right or always wrong.
- **Noise sweep**: a fraction of the training set is noise, randY (the example's label is
  redrawn uniformly from all classes, as Zhang et al.'s random labels) or randX (its input is
  replaced by Gaussian noise with the data set's mean and std, the label kept). Per level: epochs and steps to 100 %
  training accuracy, and the validation curve (the test set is always clean).
- **Learning order**: at every evaluation a hook classifies the whole training set (eval mode)
  and keeps one packed bit array per evaluation; at the end, each example's "learned and kept"
  epoch is the first evaluation from which it stays correctly classified. Clean and noisy
  examples are counted apart (histogram and cumulative curve); the arrays are saved as the
  run's checkpoint "correct" (`packed` [evals, ceil(n/8)] uint8, `epochs`, `noisy`).
- **Regularizers vs memorization** (Fig. 8): per dropout rate and weight decay, two networks
  trained for the whole budget (no stop at 100 %), as the paper does: one on noise data
  (`reg_kind` at `reg_level`; its training accuracy on the noisy examples is memorization),
  one on real data (its validation accuracy on the clean test set is generalization).
  Weight decay is applied as the paper did, with SGD (its L2 term): with Adam it would be an
  L2 term rescaled per weight, and the engine has no decoupled AdamW, so a group with weight
  decays must use SGD.

Exactly round(level * n) examples are drawn; for randY the "noisy" subset is those whose
redrawn label differs from the true one (about (K-1)/K of them: a redrawn label that happens
to be right is a clean example), for randX every drawn example.

Omitted from the paper: adversarial training and input-noise regularization (Fig. 8-9), the
critical sample ratio (Sec. 4), and the loss-sensitivity and per-class analyses; only dropout
and weight decay are tried as regularizers.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

from overfit_tui.core.schema import Field
from overfit_tui.core.spec import check, field
from overfit_tui.core.specs import GroupSpec, RunSpec
from overfit_tui.engine.declarations import TRAIN_FIELDS
from overfit_tui.studies.base import Figure, RunData, Study, Table
from overfit_tui.studies.claims import Claim
from overfit_tui.studies.memorization import figures as figs
from overfit_tui.studies.shared.jobs import fused_jobs

if TYPE_CHECKING:  # numpy is imported where it is used: listing studies and the app's start skip it
    import numpy as np

# RUNNER: make_member

NoiseKind = Literal["randY", "randX"]
Experiment = Literal["sweep", "regularizer", "first_epoch"]


@dataclass(frozen=True)
class Settings:
    """The settings every run of a group carries: declared once, for Params and RunParams alike."""

    inits: int = field(
        20, "Fig. 1: initializations per replicate and data kind, each trained one epoch (0: none)", range="[0, 1000]"
    )


@dataclass(frozen=True)
class Sweep:
    """What a group sweeps: a run per value (x the models and seeds)."""

    kinds: tuple[NoiseKind, ...] = field(
        ("randY", "randX"), "noise types: randY (labels replaced by another class), randX (inputs by Gaussian noise)"
    )
    levels: tuple[float, ...] = field(
        (0.0, 0.2, 0.4, 0.6, 0.8, 1.0),
        "fractions of the training set that are noise (0 = real data, run once)",
        range="[0, 1]",
    )
    dropout: tuple[float, ...] = field(
        (0.0, 0.25, 0.5), "dropout rates tried on the noise and the real data (empty: none)", range="[0, 1)"
    )
    weight_decay: tuple[float, ...] = field(
        (1e-4, 1e-3), "weight decays tried on the noise and the real data (empty: none)", range="[0, 100]"
    )
    reg_kind: NoiseKind = field("randY", "noise type of the regularizer runs' noise data")
    reg_level: float = field(
        1.0, "noise fraction of the regularizer runs' noise data (1 = all noise, the paper's)", range="(0, 1]"
    )


@dataclass(frozen=True)
class Params(Settings, Sweep):
    """The noise sweep, and the regularizers tried on one mixed set."""

    def __post_init__(self):
        check(len(set(self.kinds)) == len(self.kinds), "kinds", "a noise type is listed twice")
        for i, p in enumerate(self.levels):
            check(0.0 <= p <= 1.0, f"levels[{i}]", "must be in [0, 1]")
        check(not self.levels or self.kinds, "kinds", "the sweep needs at least one noise type")
        for i, d in enumerate(self.dropout):
            check(0.0 <= d < 1.0, f"dropout[{i}]", "must be in [0, 1)")
        for i, w in enumerate(self.weight_decay):
            check(w >= 0.0, f"weight_decay[{i}]", "must be >= 0")
        check(0.0 < self.reg_level <= 1.0, "reg_level", "must be in (0, 1]: the noise data needs noisy examples")
        check(self.inits == 0 or 2 <= self.inits <= 1000, "inits", "must be 0 (no Fig. 1) or in [2, 1000]")
        check(not self.inits or self.kinds, "kinds", "Fig. 1 compares real data with at least one noise type")
        check(bool(self.levels or self.dropout or self.weight_decay or self.inits), "levels", "nothing to run")


@dataclass(frozen=True)
class RunParams(Settings):
    """One run: a noise condition, and its regularizer (regularizer runs train the whole budget)."""

    experiment: Experiment = field(
        "sweep", "sweep (stops at 100 % train accuracy), regularizer (whole budget) or first_epoch (Fig. 1)"
    )
    kind: NoiseKind = field("randY", "randY or randX")
    level: float = field(0.0, "fraction of noisy training examples", range="[0, 1]")
    dropout: float = field(0.0, "dropout rate", range="[0, 1)")
    weight_decay: float = field(0.0, "weight decay", range="[0, 100]")

    def __post_init__(self):
        check(0.0 <= self.level <= 1.0, "level", "must be in [0, 1]")
        check(0 <= self.inits <= 1000, "inits", "must be in [0, 1000]")


def learned_and_kept(correct: np.ndarray) -> np.ndarray:
    """Per example, the first evaluation index from which it stays correct to the end, or -1.

    `correct` is [evaluations, examples] (bool): one row per evaluation, in time order."""
    import numpy as np

    correct = np.asarray(correct, dtype=bool)
    if correct.shape[0] == 0:
        return np.full(correct.shape[1], -1)
    kept = np.logical_and.accumulate(correct[::-1], axis=0)[::-1]  # correct at e and every later eval
    first = kept.argmax(axis=0)
    return np.where(kept[-1], first, -1)


def unpack(packed: np.ndarray, n: int) -> np.ndarray:
    """[evaluations, ceil(n/8)] packed rows back to [evaluations, n] bools."""
    import numpy as np

    return np.unpackbits(np.asarray(packed, dtype=np.uint8), axis=-1, count=n).astype(bool)


FIG1_STACK = 20  # Fig. 1 nets trained stacked at once


def run_label(rp: RunParams) -> str:
    noise = "real data" if rp.level == 0 else f"{rp.kind} {rp.level:g}"
    if rp.experiment == "sweep":
        return noise
    if rp.experiment == "first_epoch":
        return f"fig1 {'real data' if rp.level == 0 else rp.kind}, {rp.inits} inits x 1 epoch"
    if rp.dropout:
        return f"dropout {rp.dropout:g} ({noise})"
    if rp.weight_decay:
        return f"wd {rp.weight_decay:g} ({noise})"
    return f"no regularizer ({noise})"


class Memorization(Study):
    name = "memorization"
    title = "Memorization dynamics"
    paper = "Arpit et al. 2017: A closer look at memorization in deep networks"
    pane = "memorization"
    Params = Params
    RunParams = RunParams
    summary_fields = (
        TRAIN_FIELDS["epochs_to_fit"],
        TRAIN_FIELDS["steps_to_fit"],
        TRAIN_FIELDS["final_test_acc"],
        Field("best_test_acc", "best val acc", "%", ".1f", "higher", priority=1),
        Field("clean_train_acc", "train acc (clean)", "%", ".1f", priority=2),
        Field("noisy_train_acc", "train acc (noisy)", "%", ".1f", "lower", priority=1),
        Field("kept_clean_median", "kept epoch (clean)", "", ".3g", priority=2, missing="not kept"),
        Field("kept_noisy_median", "kept epoch (noisy)", "", ".3g", priority=2, missing="not kept"),
        Field("kept_clean_frac", "kept (clean)", "%", ".1f", priority=3),
        Field("kept_noisy_frac", "kept (noisy)", "%", ".1f", priority=3),
        Field("fig1_error", "1-epoch error (mean over inits)", "%", ".1f", priority=2),
        Field("fig1_rho", "consistency rho", "", ".3f", "higher", priority=1),
        Field("fig1_rho_null_sd", "rho binomial-null sd", "", ".2g", priority=3),
        Field("fig1_consistent", "always right/wrong", "%", ".1f", priority=2),
        Field("fig1_consistent_null", "always right/wrong (binomial)", "%", ".1f", priority=3),
    )

    def default_group(self) -> dict:
        return {
            "data": {"name": "mnist1d"},
            "models": [{"name": "mlp", "width": 512, "depth": 1}],
            "train": {"optimizer": "adam", "lr": 3e-3, "lr_decay": 1.0, "batch_size": 128, "epochs": 200},
            "seeds": [0],
        }

    def validate(self, group: GroupSpec) -> None:
        p = group.params
        check(
            group.train.optimizer == "sgd" or not any(p.weight_decay),
            "train.optimizer",
            "weight decay as Arpit et al. applied it needs SGD (Adam would rescale the L2 term per weight)",
        )

    def conditions(self, p: Params) -> list[RunParams]:
        out = []  # inits counts for first_epoch runs alone: the others carry 0, as stored
        if p.inits:  # Fig. 1: real data, then each noise type at 100 %
            out.append(RunParams(experiment="first_epoch", kind=p.kinds[0], level=0.0, inits=p.inits))
            out += [RunParams(experiment="first_epoch", kind=k, level=1.0, inits=p.inits) for k in p.kinds]
        if 0.0 in p.levels:
            out.append(RunParams(experiment="sweep", kind=p.kinds[0], level=0.0, inits=0))
        out += [RunParams(experiment="sweep", kind=k, level=lv, inits=0) for k in p.kinds for lv in p.levels if lv > 0]
        regs = [(d, 0.0) for d in p.dropout] + [(0.0, w) for w in p.weight_decay]
        for d, w in dict.fromkeys(regs):  # dropout 0 and weight decay 0 are one baseline
            for level in (p.reg_level, 0.0):  # noise data (memorization) and real data (generalization)
                out.append(
                    RunParams(
                        experiment="regularizer", kind=p.reg_kind, level=level, dropout=d, weight_decay=w, inits=0
                    )
                )
        return out

    def expand(self, group: GroupSpec) -> list[RunSpec]:
        runs = []
        for model in group.models:
            for seeds in group.seeds:
                for rp in self.conditions(group.params):
                    m = replace(model, dropout=rp.dropout) if rp.experiment == "regularizer" else model
                    t = group.train
                    if rp.experiment == "regularizer":
                        t = replace(t, weight_decay=rp.weight_decay, target_train_acc=0.0)
                    elif rp.experiment == "first_epoch":
                        t = replace(t, epochs=1, max_steps=0, target_train_acc=0.0, lr_decay=1.0)
                    label = run_label(rp)
                    if len(group.models) > 1:
                        label = f"{model.label}: {label}"
                    runs.append(RunSpec(self.name, label + group.seed_tag(seeds), group.data, m, t, seeds, rp))
        return runs

    def jobs(self, runs: list[RunSpec], on_gpu: bool = False) -> list[list[int]]:
        """A Fig. 1 run trains its own inits stacked, alone; the others fuse by shape."""
        fig1 = [i for i, r in enumerate(runs) if r.params.experiment == "first_epoch"]
        rest = [i for i, r in enumerate(runs) if r.params.experiment != "first_epoch"]
        fused = fused_jobs([runs[i] for i in rest], on_gpu)
        return sorted([[i] for i in fig1] + [[rest[j] for j in job] for job in fused])

    def claims(self) -> tuple[Claim, ...]:
        return figs.CLAIMS

    def figures(self, runs: list[RunData]) -> list[Figure]:
        return figs.figures(runs)

    def tables(self, runs: list[RunData]) -> list[Table]:
        return figs.tables(runs, self.field)
