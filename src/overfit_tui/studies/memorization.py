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

import math
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
import torch

from overfit_tui.core.events import PointEvent
from overfit_tui.core.schema import Field
from overfit_tui.core.spec import check, field
from overfit_tui.core.specs import GroupSpec, RunSpec
from overfit_tui.engine.data import Dataset
from overfit_tui.engine.hooks import Hook, Hooks
from overfit_tui.engine.loop import EVAL_CHUNK
from overfit_tui.engine.train import TRAIN_FIELDS, train
from overfit_tui.studies import memorization_figures as figs
from overfit_tui.studies.base import ExecContext, Figure, RunData, Study, Table
from overfit_tui.studies.claims import Claim
from overfit_tui.studies.common import each_run, fused_jobs, load_data, make_member

NoiseKind = Literal["randY", "randX"]
Experiment = Literal["sweep", "regularizer", "first_epoch"]


@dataclass(frozen=True)
class Params:
    """The noise sweep, and the regularizers tried on one mixed set."""

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
    inits: int = field(
        20, "Fig. 1: initializations per replicate and data kind, each trained one epoch (0: none)", range="[0, 1000]"
    )

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
class RunParams:
    """One run: a noise condition, and its regularizer (regularizer runs train the whole budget)."""

    experiment: Experiment = field(
        "sweep", "sweep (stops at 100 % train accuracy), regularizer (whole budget) or first_epoch (Fig. 1)"
    )
    kind: NoiseKind = field("randY", "randY or randX")
    level: float = field(0.0, "fraction of noisy training examples", range="[0, 1]")
    dropout: float = field(0.0, "dropout rate", range="[0, 1)")
    weight_decay: float = field(0.0, "weight decay", range="[0, 100]")
    inits: int = field(0, "first_epoch: initializations trained one epoch each", range="[0, 1000]")

    def __post_init__(self):
        check(0.0 <= self.level <= 1.0, "level", "must be in [0, 1]")
        check(0 <= self.inits <= 1000, "inits", "must be in [0, 1000]")


def add_noise(ds: Dataset, kind: str, level: float, seed: int) -> tuple[Dataset, torch.Tensor]:
    """The training set with round(level * n) examples drawn for noise, and the noisy mask.

    randY: the label is redrawn uniformly from all K classes (noisy: the ones now wrong);
    randX: the input becomes Gaussian noise with the training set's mean and std, the label
    kept (noisy: all drawn). Test data is never touched."""
    g = torch.Generator().manual_seed(seed)
    n, k = len(ds.y_train), ds.num_classes
    idx = torch.randperm(n, generator=g)[: round(level * n)]
    drawn = torch.zeros(n, dtype=torch.bool)
    drawn[idx] = True
    x, y = ds.x_train.clone(), ds.y_train.clone()
    if kind == "randY":
        y[idx] = torch.randint(k, (len(idx),), generator=g)
        noisy = y != ds.y_train
    elif kind == "randX":
        noisy = drawn
        mean, std = ds.x_train.mean().item(), ds.x_train.std().item()
        x[idx] = torch.randn((len(idx), *x.shape[1:]), generator=g) * std + mean
    else:
        raise ValueError(f"unknown noise kind {kind!r}")
    return Dataset(ds.name, x, y, ds.x_test, ds.y_test, k), noisy


def learned_and_kept(correct: np.ndarray) -> np.ndarray:
    """Per example, the first evaluation index from which it stays correct to the end, or -1.

    `correct` is [evaluations, examples] (bool): one row per evaluation, in time order."""
    correct = np.asarray(correct, dtype=bool)
    if correct.shape[0] == 0:
        return np.full(correct.shape[1], -1)
    kept = np.logical_and.accumulate(correct[::-1], axis=0)[::-1]  # correct at e and every later eval
    first = kept.argmax(axis=0)
    return np.where(kept[-1], first, -1)


def pack(correct: torch.Tensor) -> np.ndarray:
    return np.packbits(correct.cpu().numpy().astype(bool))


def unpack(packed: np.ndarray, n: int) -> np.ndarray:
    """[evaluations, ceil(n/8)] packed rows back to [evaluations, n] bools."""
    return np.unpackbits(np.asarray(packed, dtype=np.uint8), axis=-1, count=n).astype(bool)


class PerExample(Hook):
    """Classifies the whole training set at each evaluation; reports clean/noisy accuracy live and
    the learned-and-kept epochs when a run ends (put it before the context in `Hooks`)."""

    def __init__(self, ctx: ExecContext, noisy: dict[int, torch.Tensor]):
        self.ctx, self.noisy = ctx, noisy
        self.rows: dict[int, list[np.ndarray]] = {r: [] for r in noisy}  # packed correctness, one per eval
        self.epochs: dict[int, list[float]] = {r: [] for r in noisy}
        self.last: dict[int, torch.Tensor] = {}
        self.best_test = {r: 0.0 for r in noisy}

    def on_start(self, loop) -> None:
        self._record(loop)

    def on_epoch_end(self, loop) -> None:
        if loop.epoch % loop.spec.eval_every == 0 or loop.step >= loop.max_steps:  # when the loop evaluates
            self._record(loop)

    @torch.no_grad()
    def _record(self, loop) -> None:
        loop.net.train(False)
        preds = [loop.net.forward(loop.xtr[:, i : i + EVAL_CHUNK]).argmax(-1) for i in range(0, loop.n, EVAL_CHUNK)]
        loop.net.train(True)
        correct = (torch.cat(preds, 1) == loop.ytr).cpu()
        epoch = loop.step / loop.steps_per_epoch
        for row, run in enumerate(loop.runs):
            c, noisy = correct[row], self.noisy[run]
            self.rows[run].append(pack(c))
            self.epochs[run].append(epoch)
            self.last[run] = c
            values = {"all": c.float().mean().item(), **_subset_acc(c, noisy)}
            self.ctx.emit(run, PointEvent("subsets", epoch, values, loop.wall()))

    def on_event(self, run: int, event) -> None:
        if getattr(event, "kind", "") == "eval" and math.isfinite(event.test_acc):
            self.best_test[run] = max(self.best_test[run], event.test_acc)

    def on_done(self, run: int, result) -> None:
        noisy = self.noisy[run]
        n = len(noisy)
        packed = np.stack(self.rows[run]) if self.rows[run] else np.zeros((0, (n + 7) // 8), np.uint8)
        epochs = np.asarray(self.epochs[run], dtype=np.float64)
        first = learned_and_kept(unpack(packed, n))
        kept_epoch = np.where(first >= 0, epochs[np.maximum(first, 0)] if len(epochs) else 0.0, np.inf)
        mask = noisy.numpy()
        extra = {"best_test_acc": self.best_test[run]}
        if run in self.last:
            extra.update({f"{k}_train_acc": v for k, v in _subset_acc(self.last[run], noisy).items()})
        for name, sel in (("clean", ~mask), ("noisy", mask)):
            if sel.any():
                ks = kept_epoch[sel]
                extra[f"kept_{name}_frac"] = float(np.isfinite(ks).mean())
                med = float(np.median(ks))
                extra[f"kept_{name}_median"] = med if math.isfinite(med) else None
        result.extra.update(extra)
        for e in epochs:  # the cumulative curves: one event per evaluation, never one per example
            values = {k: float((kept_epoch[s] <= e).mean()) for k, s in (("clean", ~mask), ("noisy", mask)) if s.any()}
            self.ctx.emit(run, PointEvent("kept", float(e), values, 0.0))
        state = {"packed": torch.from_numpy(packed), "epochs": torch.from_numpy(epochs), "noisy": noisy}
        self.ctx.save_checkpoint(run, "correct", state)


class FirstEpochCorrect(Hook):
    """After the (single) epoch, each member's per-example correctness on the training set."""

    def __init__(self):
        self.correct: dict[int, np.ndarray] = {}

    @torch.no_grad()
    def on_epoch_end(self, loop) -> None:
        loop.net.train(False)
        preds = [loop.net.forward(loop.xtr[:, i : i + EVAL_CHUNK]).argmax(-1) for i in range(0, loop.n, EVAL_CHUNK)]
        loop.net.train(True)
        correct = (torch.cat(preds, 1) == loop.ytr).cpu().numpy()
        for row, run in enumerate(loop.runs):
            self.correct[run] = correct[row]


FIG1_STACK = 20  # Fig. 1 nets trained stacked at once


def first_epoch(run: RunSpec, base: Dataset, ctx: ExecContext, index: int) -> None:
    """Fig. 1: `inits` nets (init and order seeds derived from the run's) train one epoch on the
    same training set (its noise drawn once from the run's noise seed); per example, the
    fraction of nets that misclassify it. Summary: the consistency against the binomial null."""
    ds, _ = add_noise(base, run.params.kind, run.params.level, run.seeds.noise)
    members = []
    for t in range(run.params.inits):
        r = replace(run, seeds=replace(run.seeds, init=run.seeds.init * 1009 + t, order=run.seeds.order * 1009 + t))
        members.append(make_member(r, ds, ctx.device, t))
    hook = FirstEpochCorrect()
    results = []
    for j in range(0, len(members), FIG1_STACK):  # at most FIG1_STACK nets stacked (2x4096 MLPs on a GPU)
        if ctx.should_stop():
            break
        results += train(members[j : j + FIG1_STACK], run.train, hook)
    if ctx.should_stop() or len(hook.correct) < len(members):
        ctx.finish(index, "cancelled", {})
        return
    correct = np.stack([hook.correct[t] for t in range(len(members))])  # [inits, n]
    rates = 1.0 - correct.mean(0)
    summary = figs.first_epoch_summary(rates, len(members))
    summary["final_test_acc"] = float(np.mean([r.final.get("test_acc", math.nan) for r in results]))
    for x, q, qn in figs.sorted_rates(rates, len(members)):
        ctx.emit(index, PointEvent("fig1", x, {"rate": q, "null": qn}, 0.0))
    ctx.finish(index, "finished", summary)


def _subset_acc(correct: torch.Tensor, noisy: torch.Tensor) -> dict[str, float]:
    out = {}
    if (~noisy).any():
        out["clean"] = correct[~noisy].float().mean().item()
    if noisy.any():
        out["noisy"] = correct[noisy].float().mean().item()
    return out


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
        out = []
        if p.inits:  # Fig. 1: real data, then each noise type at 100 %
            out.append(RunParams("first_epoch", p.kinds[0], 0.0, inits=p.inits))
            out += [RunParams("first_epoch", k, 1.0, inits=p.inits) for k in p.kinds]
        if 0.0 in p.levels:
            out.append(RunParams("sweep", p.kinds[0], 0.0))
        out += [RunParams("sweep", k, lv) for k in p.kinds for lv in p.levels if lv > 0]
        regs = [(d, 0.0) for d in p.dropout] + [(0.0, w) for w in p.weight_decay]
        for d, w in dict.fromkeys(regs):  # dropout 0 and weight decay 0 are one baseline
            for level in (p.reg_level, 0.0):  # noise data (memorization) and real data (generalization)
                out.append(RunParams("regularizer", p.reg_kind, level, d, w))
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

    def execute(self, runs: list[RunSpec], ctx: ExecContext) -> None:
        base = load_data(runs[0].data, ctx)
        if runs[0].params.experiment == "first_epoch":
            for i, run in each_run(runs, ctx):
                first_epoch(run, base, ctx, i)
            return
        members, noisy = [], {}
        for i, run in enumerate(runs):
            ds, noisy[i] = add_noise(base, run.params.kind, run.params.level, run.seeds.noise)
            members.append(make_member(run, ds, ctx.device, i))
            ctx.started(i)
        train(members, runs[0].train, Hooks(PerExample(ctx, noisy), ctx), augment=runs[0].data.augment)

    def claims(self) -> tuple[Claim, ...]:
        return figs.CLAIMS

    def figures(self, runs: list[RunData]) -> list[Figure]:
        return figs.figures(runs)

    def tables(self, runs: list[RunData]) -> list[Table]:
        return figs.tables(runs, self.field)
