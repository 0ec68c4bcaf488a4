"""The training loop: whole data sets on the device, batches as index slices, no host sync
per step, batched evaluation, NaN detection, early stop at a training-accuracy target.

It trains one run or several same-shaped runs together (see nets.py); studies hook in
through `Callbacks` and never own the loop.
"""

from __future__ import annotations

import math
import time
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Literal

import torch
from torch import nn

from overfit_tui.core.events import EvalEvent, StepEvent
from overfit_tui.core.specs import TrainSpec
from overfit_tui.engine.batches import batch_losses, gather_batch
from overfit_tui.engine.graphs import WARMUP_STEPS, GraphedStep, use_cuda_graphs
from overfit_tui.engine.models import fusable
from overfit_tui.engine.nets import SingleNet, StackedNet
from overfit_tui.engine.transforms import augment_batch, augment_batch_1d

EVAL_CHUNK = 4096  # samples per evaluation forward pass


@dataclass
class Member:
    """One run's model and (device-resident) data inside a training job."""

    model: nn.Module
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    order_seed: int


@dataclass
class TrainResult:
    """How one member's training ended, and its last evaluation."""

    status: Literal["finished", "diverged", "cancelled"] = "finished"
    steps: int = 0
    epochs: float = 0.0
    seconds: float = 0.0
    fit_step: int | None = None
    fit_epoch: float | None = None
    fit_seconds: float | None = None
    best_train_acc: float = 0.0
    final: dict = field(default_factory=dict)
    state: dict | None = None  # final weights, when the caller asked for them

    def summary(self) -> dict:
        return {
            **{f"final_{k}": v for k, v in self.final.items()},
            "steps": self.steps,
            "epochs": round(self.epochs, 3),
            "seconds": round(self.seconds, 2),
            "fitted": self.fit_step is not None,
            "steps_to_fit": self.fit_step,
            "epochs_to_fit": self.fit_epoch,
            "seconds_to_fit": None if self.fit_seconds is None else round(self.fit_seconds, 2),
            "best_train_acc": self.best_train_acc,
        }


class Callbacks:
    """Hooks the loop calls; override what you need."""

    def on_event(self, member: int, event) -> None:
        pass

    def should_stop(self) -> bool:
        return False

    def member_cancelled(self, member: int) -> bool:
        return False

    def on_done(self, member: int, result: TrainResult) -> None:
        """Member ended (fitted, out of budget, diverged or cancelled); others may train on."""


@torch.no_grad()
def _evaluate(net, x: torch.Tensor, y: torch.Tensor, kind: str) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean loss and accuracy per member over whole stacked sets x [K, N, ...], y [K, N]."""
    net.train(False)
    loss = torch.zeros(x.shape[0], device=x.device)
    correct = torch.zeros(x.shape[0], device=x.device)
    for i in range(0, x.shape[1], EVAL_CHUNK):
        out = net.forward(x[:, i : i + EVAL_CHUNK]).float()
        yb = y[:, i : i + EVAL_CHUNK]
        loss += batch_losses(out, yb, kind, reduce="sum")
        correct += (out.argmax(-1) == yb).sum(1)
    net.train(True)
    n = x.shape[1]
    return loss / n, correct / n


def make_optimizer(params, spec: TrainSpec) -> torch.optim.Optimizer:
    params = list(params)
    fused = {"fused": True} if params and params[0].is_cuda else {}  # one kernel per step instead of one per tensor
    if spec.optimizer == "sgd":
        return torch.optim.SGD(params, lr=spec.lr, momentum=spec.momentum, weight_decay=spec.weight_decay, **fused)
    return torch.optim.Adam(params, lr=spec.lr, weight_decay=spec.weight_decay, **fused)


def train(
    members: list[Member],
    spec: TrainSpec,
    callbacks: Callbacks | None = None,
    augment: bool = False,
    keep_state: bool = False,
) -> list[TrainResult]:
    """Train every member to its end (fitted, out of budget, diverged or cancelled)."""
    cb = callbacks or Callbacks()
    k_all = len(members)
    fuse = k_all > 1 and all(fusable(m.model) for m in members)
    if k_all > 1 and not fuse:  # not stackable: one after another, same semantics
        return [r for i, m in enumerate(members) for r in _train_one_of(i, m, spec, cb, augment, keep_state)]
    net = StackedNet([m.model for m in members]) if fuse else SingleNet(members[0].model)
    stack = lambda ts: torch.stack(ts) if fuse else ts[0].unsqueeze(0)
    xtr, ytr = stack([m.x_train for m in members]), stack([m.y_train for m in members])
    xte, yte = stack([m.x_test for m in members]), stack([m.y_test for m in members])
    device = xtr.device
    gens = [torch.Generator().manual_seed(m.order_seed) for m in members]
    opt = make_optimizer(net.params(), spec)
    results = [TrainResult() for _ in members]
    active = list(range(k_all))  # stacked row -> member index
    n, bs = xtr.shape[1], spec.batch_size
    steps_per_epoch = math.ceil(n / bs)
    max_steps = spec.max_steps or spec.epochs * steps_per_epoch
    step, t0 = 0, time.perf_counter()
    loss_sum, since_log = torch.zeros(k_all, device=device), 0
    done: dict[int, str] = {}

    def wall() -> float:
        return time.perf_counter() - t0

    def lr() -> float:
        return opt.param_groups[0]["lr"]

    def evaluate_now(epoch: float) -> None:
        tr_loss, tr_acc = _evaluate(net, xtr, ytr, spec.loss)
        te_loss, te_acc = _evaluate(net, xte, yte, spec.loss)
        rows = torch.stack([tr_loss, tr_acc, te_loss, te_acc], 1).tolist()  # one host sync
        for row, m in enumerate(active):
            a, b, c, d = rows[row]
            ev = EvalEvent(step, epoch, a, b, c, d, lr(), wall())
            cb.on_event(m, ev)
            r = results[m]
            r.final = {"train_loss": a, "train_acc": b, "test_loss": c, "test_acc": d}
            r.best_train_acc = max(r.best_train_acc, b)
            if not math.isfinite(a):
                done[m] = "diverged"
            elif spec.target_train_acc and b >= spec.target_train_acc - 1e-9 and r.fit_step is None:
                r.fit_step, r.fit_epoch, r.fit_seconds = step, epoch, wall()
                done[m] = "finished"

    def retire() -> None:
        nonlocal active, opt, xtr, ytr, xte, yte, loss_sum, graphed
        for m in list(done):
            if m not in active:
                continue
            r = results[m]
            r.status, r.steps, r.epochs, r.seconds = done[m], step, step / steps_per_epoch, wall()
            if keep_state:
                r.state = net.member_state(active.index(m))
            cb.on_done(m, r)
        rows = [i for i, m in enumerate(active) if m not in done]
        if len(rows) < len(active) and rows:
            opt = net.keep(rows, opt)
            if graphed is not None:
                graphed.reset()  # new parameter tensors: capture again
            idx = torch.tensor(rows, device=device)
            xtr, ytr, xte, yte, loss_sum = xtr[idx], ytr[idx], xte[idx], yte[idx], loss_sum[idx]
        active = [active[i] for i in rows]
        done.clear()  # `done` holds only members that ended since the last retire()

    graphed = GraphedStep(spec.loss) if use_cuda_graphs(device, spec, augment) else None
    evaluate_now(0.0)
    epoch = 0
    while active and step < max_steps:
        perms = torch.stack([torch.randperm(n, generator=gens[m]) for m in active]).to(device, non_blocking=True)
        rows_idx = torch.arange(len(active), device=device).unsqueeze(1)
        for s in range(steps_per_epoch):
            idx = perms[:, s * bs : (s + 1) * bs]
            losses = None
            if graphed is not None and not graphed.disabled and step >= WARMUP_STEPS and idx.shape[1] == bs:
                losses = graphed.step(net, opt, xtr, ytr, rows_idx, idx, lr())
            if losses is None:
                xb, yb = gather_batch(xtr, ytr, rows_idx, idx)
                if augment:
                    aug = augment_batch if xb.dim() == 5 else augment_batch_1d
                    xb = aug(xb.flatten(0, 1)).view_as(xb)
                with graphed.warmup() if graphed is not None else nullcontext():
                    losses = batch_losses(net.forward(xb), yb, spec.loss)
                    opt.zero_grad(set_to_none=graphed is None)  # a captured graph owns the .grad buffers
                    losses.sum().backward()
                    opt.step()
                losses = losses.detach()  # drop the autograd graph now, not at the next step
            loss_sum += losses
            since_log += 1
            step += 1
            if step % spec.log_every == 0 or step >= max_steps:
                means = (loss_sum / since_log).tolist()  # the only per-interval host sync
                t = wall()
                for row, m in enumerate(active):
                    cb.on_event(
                        m, StepEvent(step, step / steps_per_epoch, means[row], lr(), t, step * bs / max(t, 1e-9))
                    )
                    if not math.isfinite(means[row]):
                        done[m] = "diverged"
                loss_sum.zero_()
                since_log = 0
                stop_all = cb.should_stop()
                for m in active:
                    if stop_all or cb.member_cancelled(m):
                        done.setdefault(m, "cancelled")
                if done:
                    break
            if step >= max_steps:
                break
        if done:
            retire()
            if not active:
                break
            if s < steps_per_epoch - 1:  # left the epoch early: start a fresh one for the survivors
                continue
        epoch += 1
        if epoch % spec.lr_decay_every == 0:
            for g in opt.param_groups:
                g["lr"] *= spec.lr_decay
        if epoch % spec.eval_every == 0 or step >= max_steps:
            evaluate_now(step / steps_per_epoch)
            retire()
    for m in list(active):  # out of budget: finished, not fitted
        done[m] = "finished"
    retire()
    return results


def _train_one_of(i, member, spec, cb, augment, keep_state) -> list[TrainResult]:
    class _Shift(Callbacks):
        def on_event(self, m, ev):
            cb.on_event(i, ev)

        def should_stop(self):
            return cb.should_stop()

        def member_cancelled(self, m):
            return cb.member_cancelled(i)

        def on_done(self, m, result):
            cb.on_done(i, result)

    return train([member], spec, _Shift(), augment, keep_state)
