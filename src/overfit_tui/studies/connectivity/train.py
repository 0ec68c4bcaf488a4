"""How a connectivity run trains (only the worker imports this module): the pair (A, B), the
straight line between them, the trained quadratic Bezier curve, and (optionally) the line after
weight matching B to A.

The path math is plain functions of parameter dicts, so tests check it on cases with a known
answer: `line_point`, `bezier_point`, `barrier`, `linear_assignment`, `match_mlp`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np
import torch
from torch.func import functional_call

from overfit_tui.core.events import PointEvent
from overfit_tui.core.specs import RunSpec
from overfit_tui.core.status import Status
from overfit_tui.engine.batches import batch_losses
from overfit_tui.engine.hooks import Hook
from overfit_tui.engine.loop import make_optimizer
from overfit_tui.engine.models import build_model
from overfit_tui.engine.train import Member, train
from overfit_tui.studies.connectivity.spec import B_SEED_SHIFT, b_seeds
from overfit_tui.studies.shared.context import ExecContext
from overfit_tui.studies.shared.data import each_run, load_data

Params = dict[str, torch.Tensor]
EVAL_CHUNK = 4096  # samples per forward pass when evaluating a point of a path


# -- the path math ---------------------------------------------------------------------------
def line_point(a: Params, b: Params, t: float) -> Params:
    """theta(t) = (1 - t) theta_A + t theta_B."""
    return {k: (1 - t) * a[k] + t * b[k] for k in a}


def bezier_point(a: Params, m: Params, b: Params, t: float) -> Params:
    """The quadratic Bezier curve (1 - t)^2 theta_A + 2 t (1 - t) theta_M + t^2 theta_B (Garipov et al. 2018)."""
    return {k: (1 - t) ** 2 * a[k] + 2 * t * (1 - t) * m[k] + t**2 * b[k] for k in a}


def barrier(values: list[float]) -> float:
    """Max along the path minus the mean of its two ends (0 for a flat path, < 0 where it dips)."""
    return max(values) - (values[0] + values[-1]) / 2


def linear_assignment(score: np.ndarray) -> np.ndarray:
    """perm maximizing sum_i score[i, perm[i]] over permutations (the Hungarian method with
    potentials, O(n^3), one numpy pass over the columns per step; scipy is not a dependency)."""
    cost = -np.asarray(score, dtype=np.float64)
    n = cost.shape[0]
    u, v = np.zeros(n + 1), np.zeros(n + 1)
    p = np.zeros(n + 1, dtype=np.int64)  # p[j]: the row assigned to column j (1-based; 0 = none)
    way = np.zeros(n + 1, dtype=np.int64)
    for i in range(1, n + 1):
        p[0], j0 = i, 0
        minv = np.full(n + 1, np.inf)
        used = np.zeros(n + 1, dtype=bool)
        while True:
            used[j0] = True
            i0 = p[j0]
            free = ~used[1:]
            cur = cost[i0 - 1] - u[i0] - v[1:]
            upd = free & (cur < minv[1:])
            minv[1:][upd] = cur[upd]
            way[1:][upd] = j0
            masked = np.where(free, minv[1:], np.inf)
            j1 = int(masked.argmin()) + 1
            delta = masked[j1 - 1]
            u[p[used]] += delta
            v[used] -= delta
            minv[1:][free] -= delta
            j0 = j1
            if p[j0] == 0:
                break
        while j0:
            j1 = way[j0]
            p[j0] = p[j1]
            j0 = j1
    perm = np.empty(n, dtype=np.int64)
    perm[p[1:] - 1] = np.arange(n)
    return perm


def _linears(model: torch.nn.Module) -> list[str]:
    return [name for name, mod in model.named_modules() if isinstance(mod, torch.nn.Linear)]


def match_mlp(model: torch.nn.Module, a: Params, b: Params) -> Params:
    """B with its hidden units permuted to match A's (weight matching, Ainsworth et al. 2023, for
    one hidden layer): the permutation maximizing the summed inner products of the units' incoming
    weights, biases and outgoing weights. B computes the same function before and after."""
    first, second = _linears(model)
    w1a, w1b = a[f"{first}.weight"], b[f"{first}.weight"]
    score = w1a @ w1b.T + torch.outer(a[f"{first}.bias"], b[f"{first}.bias"])
    score = score + a[f"{second}.weight"].T @ b[f"{second}.weight"]
    perm = torch.as_tensor(linear_assignment(score.double().cpu().numpy()), device=w1b.device)
    out = dict(b)
    out[f"{first}.weight"] = w1b[perm]
    out[f"{first}.bias"] = b[f"{first}.bias"][perm]
    out[f"{second}.weight"] = b[f"{second}.weight"][:, perm]
    return out


# -- evaluating a point ----------------------------------------------------------------------
@torch.no_grad()
def evaluate_at(model, params: Params, x, y, kind: str, probs: bool = False):
    """(mean loss, accuracy, softmax probabilities or None) of the net with `params` on (x, y)."""
    loss, correct, ps = 0.0, 0, []
    for i in range(0, len(x), EVAL_CHUNK):
        out = functional_call(model, params, (x[i : i + EVAL_CHUNK],)).float()
        yb = y[i : i + EVAL_CHUNK]
        loss += batch_losses(out[None], yb[None], kind, reduce="sum").item()
        correct += (out.argmax(-1) == yb).sum().item()
        if probs:
            ps.append(out.softmax(-1))
    return loss / len(x), correct / len(x), (torch.cat(ps) if probs else None)


def walk(model, point: Callable[[float], Params], ts: list[float], data, kind: str):
    """Train/test loss and accuracy at each t, and the test softmax of each point."""
    xtr, ytr, xte, yte = data
    rows, probs = [], []
    for t in ts:
        p = point(t)
        trl, tra, _ = evaluate_at(model, p, xtr, ytr, kind)
        tel, tea, pr = evaluate_at(model, p, xte, yte, kind, probs=True)
        rows.append({"train_loss": trl, "train_acc": tra, "test_loss": tel, "test_acc": tea})
        probs.append(pr)
    return rows, probs


def ensemble_acc(probs: list[torch.Tensor], y: torch.Tensor) -> float:
    """Test accuracy of the mean softmax of several nets."""
    return (torch.stack(probs).mean(0).argmax(-1) == y).double().mean().item()


def train_curve(model, a: Params, b: Params, run: RunSpec, data, should_stop: Callable[[], bool]) -> Params | None:
    """The Bezier curve's middle point, started at the line's midpoint and trained by minibatch
    SGD on the training loss at t ~ U(0, 1) (one t per minibatch, as Garipov et al.); None if stopped."""
    xtr, ytr = data[0], data[1]
    spec, rp = run.train, run.params
    m = {k: ((a[k] + b[k]) / 2).clone().requires_grad_(True) for k in a}
    opt = make_optimizer(list(m.values()), spec)
    for g in opt.param_groups:
        g["lr"] = rp.curve_lr or spec.lr
    gen = torch.Generator().manual_seed((run.seeds.order + 2 * B_SEED_SHIFT) % 2**32)
    n, bs = len(xtr), min(spec.batch_size, len(xtr))
    epochs = rp.curve_epochs or spec.epochs
    for epoch in range(epochs):
        perm = torch.randperm(n, generator=gen).to(xtr.device)
        ts = torch.rand(n // bs, generator=gen).tolist()
        for s, t in enumerate(ts):
            idx = perm[s * bs : (s + 1) * bs]
            out = functional_call(model, bezier_point(a, m, b, t), (xtr[idx],))
            loss = batch_losses(out[None], ytr[idx][None], spec.loss)[0]
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        if (epoch + 1) % spec.lr_decay_every == 0:
            for g in opt.param_groups:
                g["lr"] *= spec.lr_decay
        if should_stop():
            return None
    return {k: v.detach() for k, v in m.items()}


class _StopOnly(Hook):
    """Passes the context's stop request to the end points' training (their events stay private:
    a run's events are its paths)."""

    def __init__(self, ctx: ExecContext):
        self.ctx = ctx

    def should_stop(self) -> bool:
        return self.ctx.should_stop()


# -- one run: one pair at one width ------------------------------------------------------------
def execute(study, runs: list[RunSpec], ctx: ExecContext) -> None:
    ds = load_data(runs[0].data, ctx).to(ctx.device)
    for i, run in each_run(runs, ctx):
        status, summary = run_pair(i, run, ds, ctx)
        ctx.finish(i, status, summary)


def run_pair(i: int, run: RunSpec, ds, ctx: ExecContext) -> tuple[str, dict]:
    """Train the pair, walk its paths (emitting their points), and return (status, summary)."""
    data = (ds.x_train, ds.y_train, ds.x_test, ds.y_test)
    t0 = time.perf_counter()
    sb = b_seeds(run.seeds)
    nets = [build_model(run.model, ds.input_shape, ds.num_classes, s.init).to(ctx.device) for s in (run.seeds, sb)]
    members = [Member(net, *data, s.order, run=k) for k, (net, s) in enumerate(zip(nets, (run.seeds, sb)))]
    results = train(members, run.train, _StopOnly(ctx), keep_state=True)
    bad = [r.status for r in results if r.status != Status.FINISHED]
    if bad:
        return bad[0], {}
    model = nets[0].eval()
    names = [n for n, _ in model.named_parameters()]
    a, b = ({n: r.state[n].to(ctx.device) for n in names} for r in results)
    kind = run.train.loss
    k = run.params.n_points
    ts = [j / (k - 1) for j in range(k)]

    def wall() -> float:
        return time.perf_counter() - t0

    line, line_probs = walk(model, lambda t: line_point(a, b, t), ts, data, kind)
    for t, row in zip(ts, line):
        ctx.emit(i, PointEvent("line", t, row, wall()))
    extra: dict = {}
    if run.params.align:
        b_al = match_mlp(model, a, b)
        aligned, _ = walk(model, lambda t: line_point(a, b_al, t), ts, data, kind)
        for t, row in zip(ts, aligned):
            ctx.emit(i, PointEvent("aligned", t, row, wall()))
        extra["aligned_barrier"] = barrier([r["train_loss"] for r in aligned])
        extra["aligned_barrier_err"] = barrier([1 - r["test_acc"] for r in aligned])
    mid = train_curve(model, a, b, run, data, ctx.should_stop)
    if mid is None:
        return Status.CANCELLED, {}
    curve, curve_probs = walk(model, lambda t: bezier_point(a, mid, b, t), ts, data, kind)
    for t, row in zip(ts, curve):
        ctx.emit(i, PointEvent("curve", t, row, wall()))
    ends = (line[0], line[-1])
    h = k // 2
    summary = {
        "width": run.params.width,
        "n_train": len(ds.x_train),
        "final_train_acc": sum(e["train_acc"] for e in ends) / 2,
        "final_test_acc": sum(e["test_acc"] for e in ends) / 2,
        "final_train_loss": sum(e["train_loss"] for e in ends) / 2,
        "final_test_loss": sum(e["test_loss"] for e in ends) / 2,
        "end_train_loss": sum(e["train_loss"] for e in ends) / 2,
        "end_gap": abs(ends[0]["train_loss"] - ends[1]["train_loss"]),
        "line_barrier": barrier([r["train_loss"] for r in line]),
        "curve_barrier": barrier([r["train_loss"] for r in curve]),
        "line_barrier_err": barrier([1 - r["test_acc"] for r in line]),
        "curve_barrier_err": barrier([1 - r["test_acc"] for r in curve]),
        "line_barrier_train_err": barrier([1 - r["train_acc"] for r in line]),
        "curve_barrier_train_err": barrier([1 - r["train_acc"] for r in curve]),
        "best_end_acc": max(e["test_acc"] for e in ends),
        "ends_ens_acc": ensemble_acc([line_probs[0], line_probs[-1]], ds.y_test),
        "curve_ens_acc": ensemble_acc(curve_probs, ds.y_test),
        "curve_mid_acc": curve[h]["test_acc"],
        "line_mid_acc": line[h]["test_acc"],
        "steps": sum(r.steps for r in results),
        "seconds": round(wall(), 2),
        **extra,
    }
    return Status.FINISHED, {
        key: (round(v, 6) if isinstance(v, float) and math.isfinite(v) else v) for key, v in summary.items()
    }
