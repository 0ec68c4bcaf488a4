"""The training loop, and the live state hooks see (`Loop`).

One `Loop` trains one member, or several same-shaped members stacked (nets.py). Each member
draws its own minibatch order, dropout and augmentation from its own seeds, so a stacked
member trains exactly as it would alone, also after others have left mid-epoch (the
survivors keep their permutation, their position in the epoch and the epoch's lr decay).
"""

from __future__ import annotations

import math
import time
from contextlib import nullcontext

import torch

from overfit_tui.core.events import EvalEvent, StepEvent
from overfit_tui.core.specs import TrainSpec
from overfit_tui.core.status import Status
from overfit_tui.engine.batches import batch_losses, gather_batch
from overfit_tui.engine.device import to_device
from overfit_tui.engine.fused import FusedMLPStep, fused_step_for, use_fused
from overfit_tui.engine.graphs import WARMUP_STEPS, GraphedStep, use_cuda_graphs
from overfit_tui.engine.hooks import Hook
from overfit_tui.engine.members import Member, TrainResult
from overfit_tui.engine.nets import SingleNet, StackedNet
from overfit_tui.engine.transforms import augment_batch, augment_batch_1d

EVAL_CHUNK = 4096  # samples per evaluation forward pass on a GPU
CPU_EVAL_CHUNK = 512  # on a CPU: a stack's intermediates stay in cache


def eval_chunk(x: torch.Tensor) -> int:
    """Samples per evaluation pass over a stacked set x [K, N, ...]: 4096 on a GPU, 512 on a CPU
    (issue 29 measured 4096 x 9 members pushing 75 MB of intermediates per chunk, 1.5x slower end
    to end than chunks of 256-1024). The same for any K, so a run stacked with others sums its
    evaluation in the same chunks as when it trains alone."""
    return eval_chunk_for(x.device)


def eval_chunk_for(device: torch.device) -> int:
    return EVAL_CHUNK if device.type == "cuda" else CPU_EVAL_CHUNK


def optimizer_flags(device: torch.device) -> dict:
    """On a GPU, torch's fused optimizers: one kernel per step instead of one per tensor."""
    return {"fused": True} if device.type == "cuda" else {}


@torch.no_grad()
def evaluate(net, x: torch.Tensor, y: torch.Tensor, kind: str) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean loss and accuracy per member over whole stacked sets x [K, N, ...], y [K, N] (eval mode)."""
    net.train(False)
    loss = torch.zeros(x.shape[0], device=x.device)
    correct = torch.zeros(x.shape[0], device=x.device)
    chunk = eval_chunk(x)
    for i in range(0, x.shape[1], chunk):
        out = net.forward(x[:, i : i + chunk]).float()
        yb = y[:, i : i + chunk]
        loss += batch_losses(out, yb, kind, reduce="sum")
        correct += (out.argmax(-1) == yb).sum(1)
    net.train(True)
    n = x.shape[1]
    return loss / n, correct / n


def make_optimizer(params, spec: TrainSpec) -> torch.optim.Optimizer:
    params = list(params)
    fused = optimizer_flags(params[0].device) if params else {}
    if spec.optimizer == "sgd":
        return torch.optim.SGD(params, lr=spec.lr, momentum=spec.momentum, weight_decay=spec.weight_decay, **fused)
    return torch.optim.Adam(params, lr=spec.lr, weight_decay=spec.weight_decay, **fused)


class Loop:
    """A training job in progress. Hooks read `step`, `epoch`, `opt`, `net`, `spec`, `runs`
    (the runs still training, in stacked-row order) and use the per-run accessors below."""

    def __init__(self, members: list[Member], spec: TrainSpec, hooks: Hook, augment: bool, keep_state: bool):
        self.members, self.spec, self.hooks, self.augment, self.keep_state = members, spec, hooks, augment, keep_state
        fuse = len(members) > 1
        self.net = StackedNet([m.model for m in members]) if fuse else SingleNet(members[0].model)

        def stack(ts):
            return torch.stack(ts) if fuse else ts[0].unsqueeze(0)

        self.xtr, self.ytr = stack([m.x_train for m in members]), stack([m.y_train for m in members])
        self.xte, self.yte = stack([m.x_test for m in members]), stack([m.y_test for m in members])
        self.device = self.xtr.device
        self.order_gens = [torch.Generator().manual_seed(m.order_seed) for m in members]
        self.aug_gens = [torch.Generator(self.device).manual_seed(m.seed) for m in members]
        if not fuse:  # dropout draws from the global generator: seed it from the run (fused nets have no dropout)
            torch.manual_seed(members[0].seed)
        self.opt = make_optimizer(self.net.params(), spec)
        self.results = [TrainResult() for _ in members]
        self.active = list(range(len(members)))  # stacked row -> member position
        self.n, self.bs = self.xtr.shape[1], spec.batch_size
        self.steps_per_epoch = math.ceil(self.n / self.bs)
        self.max_steps = spec.max_steps or spec.epochs * self.steps_per_epoch
        self.step, self.epoch = 0, 0
        self._idx: torch.Tensor | None = None  # the current batch's indices [K, B]
        self._done: dict[int, str] = {}  # member position -> status, since the last retire()
        self._t0 = time.perf_counter()
        self.graphed = GraphedStep(spec.loss) if use_cuda_graphs(self.device, spec, augment) else None
        self.fuse_step = use_fused(self.device, spec, augment, self.net.linears)
        self.fused: FusedMLPStep | None = None  # built at the first step, and again after members retire

    # -- what hooks use ------------------------------------------------------
    @property
    def runs(self) -> list[int]:
        return [self.members[m].run for m in self.active]

    def row(self, run: int) -> int:
        """The stacked row of a run still training."""
        return next(r for r, m in enumerate(self.active) if self.members[m].run == run)

    def params(self, run: int) -> dict[str, torch.Tensor]:
        """The run's live parameters (views into stacked leaves): modify them under torch.no_grad()."""
        return self.net.member_params(self.row(run))

    def state(self, run: int) -> dict[str, torch.Tensor]:
        """A copy of the run's parameters and buffers (a checkpoint)."""
        return self.net.member_state(self.row(run))

    def load_state(self, run: int, state: dict[str, torch.Tensor]) -> None:
        """Copy some or all of a state into the run's live tensors (rewinding, re-initializing)."""
        self.net.load_member(self.row(run), state)

    @property
    def batch(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The last step's batch (before augmentation), stacked [K, B, ...] in row order."""
        rows_idx = torch.arange(len(self.active), device=self.device).unsqueeze(1)
        return gather_batch(self.xtr, self.ytr, rows_idx, self._idx)

    def lr(self) -> float:
        return self.opt.param_groups[0]["lr"]

    def wall(self) -> float:
        return time.perf_counter() - self._t0

    # -- the loop ------------------------------------------------------------
    def _evaluate_now(self) -> None:
        spec, epoch = self.spec, self.step / self.steps_per_epoch
        tr_loss, tr_acc = evaluate(self.net, self.xtr, self.ytr, spec.loss)
        te_loss, te_acc = evaluate(self.net, self.xte, self.yte, spec.loss)
        rows = torch.stack([tr_loss, tr_acc, te_loss, te_acc], 1).tolist()  # one host sync
        for row, m in enumerate(self.active):
            a, b, c, d = rows[row]
            self.hooks.on_event(self.members[m].run, EvalEvent(self.step, epoch, a, b, c, d, self.lr(), self.wall()))
            r = self.results[m]
            if not math.isfinite(a):
                if not r.final:  # diverged before any finite evaluation: nothing better to report
                    r.final = {"train_loss": a, "train_acc": b, "test_loss": c, "test_acc": d}
                self._done[m] = Status.DIVERGED
                continue
            r.final = {"train_loss": a, "train_acc": b, "test_loss": c, "test_acc": d}
            r.final_epoch = epoch
            r.best_train_acc = max(r.best_train_acc, b)
            if spec.target_train_acc and b >= spec.target_train_acc - 1e-9 and r.fit_step is None:
                r.fit_step, r.fit_epoch, r.fit_seconds = self.step, epoch, self.wall()
                self._done[m] = Status.FINISHED

    def _retire(self) -> list[int]:
        """Record members that ended; drop them from the stack. Returns the surviving rows."""
        for m in self._done:
            if m not in self.active:
                continue
            r = self.results[m]
            r.status, r.steps, r.epochs, r.seconds = (
                self._done[m],
                self.step,
                self.step / self.steps_per_epoch,
                self.wall(),
            )
            if r.status == Status.DIVERGED and r.final_epoch is not None:
                r.last_finite_epoch = r.final_epoch  # `final` holds that evaluation, not the diverged one
            if self.keep_state:
                r.state = self.net.member_state(self.active.index(m))
            self.hooks.on_done(self.members[m].run, r)
        rows = [i for i, m in enumerate(self.active) if m not in self._done]
        if len(rows) < len(self.active) and rows:
            self.opt = self.net.keep(rows, self.opt)
            if self.graphed is not None:
                self.graphed.reset()  # new parameter tensors: capture again
            self.fused = None  # likewise: bind the fused step to the new leaves
            idx = torch.tensor(rows, device=self.device)
            self.xtr, self.ytr, self.xte, self.yte = self.xtr[idx], self.ytr[idx], self.xte[idx], self.yte[idx]
            self.loss_sum = self.loss_sum[idx]
        self.active = [self.active[i] for i in rows]
        self._done.clear()
        return rows

    def _augment(self, xb: torch.Tensor) -> torch.Tensor:
        aug = augment_batch if xb.dim() == 5 else augment_batch_1d
        return torch.stack([aug(xb[r], gen=self.aug_gens[m]) for r, m in enumerate(self.active)])

    def _train_step(self, idx: torch.Tensor) -> torch.Tensor:
        if self.fuse_step:
            if self.fused is None:
                self.fused = fused_step_for(self.net, self.spec.loss)
            return self.fused.step(self.xtr, self.ytr, idx, self.opt)
        g, spec = self.graphed, self.spec
        rows_idx = torch.arange(len(self.active), device=self.device).unsqueeze(1)
        if g is not None and not g.disabled and self.step >= WARMUP_STEPS and idx.shape[1] == self.bs:
            losses = g.step(self.net, self.opt, self.xtr, self.ytr, rows_idx, idx, self.lr())
            if losses is not None:
                return losses
        xb, yb = gather_batch(self.xtr, self.ytr, rows_idx, idx)
        if self.augment:
            xb = self._augment(xb)
        with g.warmup() if g is not None else nullcontext():
            losses = batch_losses(self.net.forward(xb), yb, spec.loss)
            self.opt.zero_grad(set_to_none=g is None)  # a captured graph owns the .grad buffers
            losses.sum().backward()
            self.opt.step()
        return losses.detach()  # drop the autograd graph now, not at the next step

    def _log(self) -> None:
        means = (self.loss_sum / self.since_log).tolist()  # the only per-interval host sync
        t = self.wall()
        for row, m in enumerate(self.active):
            ev = StepEvent(
                self.step,
                self.step / self.steps_per_epoch,
                means[row],
                self.lr(),
                t,
                self.step * self.bs / max(t, 1e-9),
            )
            self.hooks.on_event(self.members[m].run, ev)
            if not math.isfinite(means[row]):
                self._done[m] = Status.DIVERGED
        self.loss_sum.zero_()
        self.since_log = 0
        stop_all = self.hooks.should_stop()
        for m in self.active:
            if stop_all or self.hooks.member_cancelled(self.members[m].run):
                self._done.setdefault(m, Status.CANCELLED)

    def run(self) -> list[TrainResult]:
        spec = self.spec
        self.loss_sum, self.since_log = torch.zeros(len(self.active), device=self.device), 0
        self.hooks.on_start(self)
        self._evaluate_now()
        self._retire()
        while self.active and self.step < self.max_steps:
            perms = torch.stack([torch.randperm(self.n, generator=self.order_gens[m]) for m in self.active])
            perms = to_device(perms, self.device)  # pinned on a GPU: the copy overlaps the last step
            for s in range(self.steps_per_epoch):
                self._idx = perms[:, s * self.bs : (s + 1) * self.bs]
                self.loss_sum += self._train_step(self._idx)
                self.since_log += 1
                self.step += 1
                self.hooks.after_step(self)
                if self.step % spec.log_every == 0 or self.step >= self.max_steps:
                    self._log()
                    if self._done:
                        rows = self._retire()  # survivors keep their permutation and place in the epoch
                        if not self.active:
                            break
                        perms = perms[torch.tensor(rows, device=self.device)]
                if self.step >= self.max_steps:
                    break
            if not self.active:
                break
            self.epoch += 1
            if self.epoch % spec.lr_decay_every == 0:
                for grp in self.opt.param_groups:
                    grp["lr"] *= spec.lr_decay
            self.hooks.on_epoch_end(self)
            if self.epoch % spec.eval_every == 0 or self.step >= self.max_steps:
                self._evaluate_now()
                self._retire()
        for m in self.active:  # out of budget: finished, not fitted
            self._done[m] = Status.FINISHED
        self._retire()
        return self.results
