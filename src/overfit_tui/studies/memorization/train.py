"""How a memorization job trains (the runner side: torch and the engine)."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import torch

from overfit_tui.core.events import PointEvent
from overfit_tui.core.specs import RunSpec
from overfit_tui.core.status import Status
from overfit_tui.engine.data import Dataset
from overfit_tui.engine.hooks import Hook, Hooks
from overfit_tui.engine.loop import EVAL_CHUNK
from overfit_tui.engine.train import train
from overfit_tui.studies.memorization import figures as figs
from overfit_tui.studies.memorization.spec import FIG1_STACK, learned_and_kept, unpack
from overfit_tui.studies.shared.context import ExecContext
from overfit_tui.studies.shared.data import each_run, load_data, make_member


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


def pack(correct: torch.Tensor) -> np.ndarray:
    return np.packbits(correct.cpu().numpy().astype(bool))


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
        ctx.finish(index, Status.CANCELLED, {})
        return
    correct = np.stack([hook.correct[t] for t in range(len(members))])  # [inits, n]
    rates = 1.0 - correct.mean(0)
    summary = figs.first_epoch_summary(rates, len(members))
    summary["final_test_acc"] = float(np.mean([r.final.get("test_acc", math.nan) for r in results]))
    for x, q, qn in figs.sorted_rates(rates, len(members)):
        ctx.emit(index, PointEvent("fig1", x, {"rate": q, "null": qn}, 0.0))
    ctx.finish(index, Status.FINISHED, summary)


def _subset_acc(correct: torch.Tensor, noisy: torch.Tensor) -> dict[str, float]:
    out = {}
    if (~noisy).any():
        out["clean"] = correct[~noisy].float().mean().item()
    if noisy.any():
        out["noisy"] = correct[noisy].float().mean().item()
    return out


def execute(study, runs: list[RunSpec], ctx: ExecContext) -> None:
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
