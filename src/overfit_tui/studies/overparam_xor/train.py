"""How a overparam_xor job trains (the runner side: torch and the engine)."""

from __future__ import annotations

import time

import torch

from overfit_tui.core.events import EvalEvent, PointEvent, StepEvent
from overfit_tui.core.specs import RunSpec, Seeds
from overfit_tui.core.status import Status
from overfit_tui.studies.shared.context import ExecContext
from overfit_tui.studies.shared.data import each_run
from overfit_tui.studies.shared.overparam_nets import (
    XorNet,
    compressed_filters,
    doubling_steps,
    hinge,
    xor_data,
    xor_gd,
)


def _train(study, net, x, y, xt, yt, run: RunSpec, ctx: ExecContext, i: int) -> dict | None:
    spec, t0 = run.train, time.perf_counter()
    every = max(1, min(spec.log_every, spec.eval_every))
    loss, err, step = 0.0, 1.0, 0
    snaps = doubling_steps(spec.epochs) if run.params.snapshots else frozenset()
    for step, loss, err in xor_gd(net, x, y, spec.lr, spec.epochs, every, snaps):
        wall = time.perf_counter() - t0
        if step in snaps:
            _emit_filters(ctx, i, net, "snap", step)
        last = step == spec.epochs or loss == 0
        if step % spec.log_every == 0 or last:
            ctx.emit(i, StepEvent(step, float(step), loss, spec.lr, wall, 0.0))
        if step % spec.eval_every == 0 or last:
            with torch.no_grad():
                out = net(xt)
                test_err = (torch.sign(out) != yt).float().mean().item()
                test_loss = hinge(out, yt).item()
            ctx.emit(i, EvalEvent(step, float(step), loss, 1 - err, test_loss, 1 - test_err, spec.lr, wall))
        if ctx.should_stop():
            return None
    return {
        "k": run.params.k,
        "init": run.params.init,
        "train_error": err,
        "test_error": test_err,
        "final_train_acc": 1 - err,
        "final_test_acc": 1 - test_err,
        "final_loss": loss,
        "final_test_loss": test_loss,
        "steps_to_fit": step if loss == 0 else None,
        "steps": step,
        "seconds": round(time.perf_counter() - t0, 3),
    }


def _emit_filters(ctx: ExecContext, i: int, net: XorNet, when: str, step: int = 0) -> None:
    """One point per filter; x is the filter's index (init, final) or the GD step (snapshots)."""
    w, signs = net.w.detach().cpu().tolist(), net.signs.tolist()
    for j, (a, b) in enumerate(w):
        values = {"w1": a, "w2": b, "sign": signs[j], "j": j}
        ctx.emit(i, PointEvent(f"filters_{when}", step if when == "snap" else j, values, 0.0))


def execute(study, runs: list[RunSpec], ctx: ExecContext) -> None:
    data: dict[Seeds, tuple] = {}
    trained: dict[tuple[Seeds, int], XorNet] = {}  # final random-init nets, for compression
    for i, run in each_run(runs, ctx):
        p = run.params
        if run.seeds not in data:
            g = torch.Generator().manual_seed(run.seeds.noise)
            data[run.seeds] = (
                *xor_data(run.data.n_train, p.patterns, g),
                *xor_data(run.data.n_test, p.patterns, g),
            )
        x, y, xt, yt = (t.to(ctx.device) for t in data[run.seeds])
        gen = torch.Generator().manual_seed(run.seeds.init * 100_003 + p.k)
        if p.init != "random":
            big = trained.get((run.seeds, p.source_k))
            if big is None:
                ctx.finish(i, Status.FAILED, {"error": f"the k={p.source_k} net of this seed did not finish"})
                continue
            net = XorNet(compressed_filters(big.cpu(), p.k, gen, p.init == "scaled"), p.leak)
        else:
            net = XorNet.random(p.k, p.init_std, gen, p.leak)
        net = net.to(ctx.device)
        _emit_filters(ctx, i, net, "init")
        summary = _train(study, net, x, y, xt, yt, run, ctx, i)
        _emit_filters(ctx, i, net, "final")
        if p.init == "random":
            trained[(run.seeds, p.k)] = net
        ctx.finish(i, Status.FINISHED if summary else Status.CANCELLED, summary or {})
