"""How a overparam_du job trains (the runner side: torch and the engine)."""

from __future__ import annotations

import math
import time

import torch

from overfit_tui.core.events import PointEvent, StepEvent
from overfit_tui.core.specs import RunSpec
from overfit_tui.core.status import Status
from overfit_tui.studies.overparam_du.spec import FLOOR
from overfit_tui.studies.shared.context import ExecContext
from overfit_tui.studies.shared.data import each_run
from overfit_tui.studies.shared.overparam_nets import (
    DuNet,
    gram,
    gram_infinity,
    lambda_min,
    max_distance,
    pattern_change,
    spectral_norm,
    sphere_data,
    squared,
)


def du_train(net: DuNet, x, y, lr: float, steps: int, every: int, track_gram: bool, ctx: ExecContext, i: int):
    """Full-batch GD; emits the loss every `every` steps and the measures as 'du' points. None if stopped.

    lambda_0 = lambda_min(H^inf) (the theory's, not H(0)'s); the worst per-step ratio of the loss
    is taken over every step while the loss is above FLOOR of its start (a diverged or stalled
    run has a ratio >= 1)."""
    t0 = time.perf_counter()
    w0 = net.w.detach().clone()
    lam0 = lambda_min(gram_infinity(x))
    h0 = gram(w0, x) if track_gram else None
    first, prev, worst = None, None, 0.0
    low, drift = math.inf, 0.0  # min_t lambda_min H(t) / lambda_0, max_t |H(t) - H(0)|_2 / lambda_0
    vals: dict = {}
    for step in range(steps + 1):
        out = net(x)
        loss = squared(out, y)
        now = loss.item()
        if first is None:
            first = now
        if not math.isfinite(now):
            worst = math.inf
        elif prev is not None and prev > FLOOR * first:
            worst = max(worst, now / prev)
        prev = now
        if step % every == 0 or step == steps or not math.isfinite(now):
            w = net.w.detach()
            vals = {"loss": now, "distance": max_distance(w, w0), "patterns": pattern_change(w, w0, x)}
            if h0 is not None:
                h = gram(w, x)
                vals["lambda_ratio"] = lambda_min(h) / lam0
                vals["gram_drift"] = spectral_norm(h - h0) / lam0
                low, drift = min(low, vals["lambda_ratio"]), max(drift, vals["gram_drift"])
            wall = time.perf_counter() - t0
            ctx.emit(i, StepEvent(step, float(step), now, lr, wall, 0.0))
            ctx.emit(i, PointEvent("du", step, vals, wall))
            if ctx.should_stop():
                return None
        if step == steps or not math.isfinite(now):
            break
        net.zero_grad()
        loss.backward()
        with torch.no_grad():
            net.w -= lr * net.w.grad
    return {
        "final_loss": vals["loss"],
        "loss_ratio": vals["loss"] / first if first else None,
        "distance": vals["distance"],
        "patterns": vals["patterns"],
        "lambda0": lam0,
        "lambda_h0": lambda_min(h0) / lam0 if h0 is not None else None,
        "gram_low": low if h0 is not None else None,
        "gram_drift": drift if h0 is not None else None,
        "contraction": worst,
        "rate_bound": 1 - lr * lam0 / 2,
        "steps": step,
        "seconds": round(time.perf_counter() - t0, 3),
    }


def execute(study, runs: list[RunSpec], ctx: ExecContext) -> None:
    for i, run in each_run(runs, ctx):
        p, spec = run.params, run.train
        g = torch.Generator().manual_seed(run.seeds.noise)
        x, y = (t.to(ctx.device) for t in sphere_data(run.data.n_train, run.data.gaussian_dim, p.labels, g))
        gen = torch.Generator().manual_seed(run.seeds.init * 100_003 + p.width)
        net = DuNet.random(p.width, x.shape[1], gen).to(ctx.device)
        summary = du_train(net, x, y, spec.lr, spec.epochs, spec.log_every, p.gram, ctx, i)
        ctx.finish(i, Status.FINISHED if summary else Status.CANCELLED, {"width": p.width, **(summary or {})})
