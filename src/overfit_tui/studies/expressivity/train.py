"""How a expressivity job trains (the runner side: torch and the engine)."""

from __future__ import annotations

import time

import torch
from torch import nn

from overfit_tui.core.events import PointEvent, StepEvent
from overfit_tui.core.specs import RunSpec
from overfit_tui.core.status import Status
from overfit_tui.engine.linalg import construction_weights
from overfit_tui.engine.train import make_optimizer
from overfit_tui.studies.expressivity.spec import _optimizer_name
from overfit_tui.studies.shared.context import ExecContext
from overfit_tui.studies.shared.data import each_run, load_data


class TwoLayerReLU(nn.Module):
    """f(z) = sum_j w_j relu(<a, z> - b_j): exactly 2n + d parameters."""

    def __init__(self, a: torch.Tensor, b: torch.Tensor, w: torch.Tensor):
        super().__init__()
        self.a, self.b, self.w = nn.Parameter(a), nn.Parameter(b), nn.Parameter(w)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return torch.relu((z @ self.a).unsqueeze(1) - self.b) @ self.w


def targets_for(kind: str, y: torch.Tensor, num_classes: int, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    if kind == "true":
        return y.double()
    if kind == "random":
        return torch.randint(num_classes, (len(y),), generator=g).double()
    return torch.randn(len(y), generator=g, dtype=torch.float64)


def construct(z: torch.Tensor, t: torch.Tensor, seed: int) -> tuple[TwoLayerReLU, dict, torch.Tensor, torch.Tensor]:
    """The closed-form net and its diagnostics; also returns the sorted projections and biases."""
    g = torch.Generator().manual_seed(seed)
    a = torch.randn(z.shape[1], generator=g, dtype=torch.float64)
    a /= a.norm()
    proj = z @ a
    order = torch.argsort(proj)
    xs = proj[order]
    if not bool((xs[1:] > xs[:-1]).all()):
        raise ValueError("two samples project to the same point: the data has duplicate rows")
    b, w = construction_weights(xs, t[order])
    net = TwoLayerReLU(a, b, w)
    with torch.no_grad():
        err = (net(z) - t).abs().max().item()
    stats = {
        "params": sum(p.numel() for p in net.parameters()),
        "d": z.shape[1],
        "max_fit_error": err,
        "min_gap": (xs - b).min().item(),
        "max_weight": w.abs().max().item(),
    }
    return net, stats, xs, b


class _Squeeze(nn.Module):
    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, z):
        return self.net(z).squeeze(1)


def _trained(study, z, t, run: RunSpec, ctx: ExecContext, i: int):
    """A d-H-1 ReLU net of about 2n + d parameters, trained as `run.train` says (squared loss)."""
    n, d = z.shape
    hidden = max(1, round((2 * n + d) / (d + 2)))  # d*H + H + H + 1 ~ 2n + d
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(run.seeds.init)
        net = nn.Sequential(nn.Linear(d, hidden), nn.ReLU(), nn.Linear(hidden, 1)).double()
    spec = run.train
    opt = make_optimizer(net.parameters(), spec)
    bs = min(spec.batch_size, n)
    order = torch.Generator().manual_seed(run.seeds.order)
    steps_per_epoch = -(-n // bs)
    perm = torch.randperm(n, generator=order)
    t0 = time.perf_counter()
    for step in range(1, run.params.train_steps + 1):
        j = (step - 1) % steps_per_epoch
        if j == 0 and step > 1:
            perm = torch.randperm(n, generator=order)
            if (step - 1) // steps_per_epoch % spec.lr_decay_every == 0:
                for g in opt.param_groups:
                    g["lr"] *= spec.lr_decay
        idx = perm[j * bs : (j + 1) * bs]
        loss = (net(z[idx]).squeeze(1) - t[idx]).pow(2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 50 == 0:
            lr = opt.param_groups[0]["lr"]
            ctx.emit(i, StepEvent(step, step / steps_per_epoch, loss.item(), lr, time.perf_counter() - t0, 0.0))
            if ctx.should_stop():
                break
    with torch.no_grad():
        residual = net(z).squeeze(1) - t
    return _Squeeze(net), {
        "params": sum(p.numel() for p in net.parameters()),
        "max_fit_error": residual.abs().max().item(),
        "train_mse": residual.pow(2).mean().item(),
        "hidden": hidden,
        "optimizer": _optimizer_name(spec, n),
    }


def execute(study, runs: list[RunSpec], ctx: ExecContext) -> None:
    for i, run in each_run(runs, ctx):
        ds = load_data(run.data, ctx)
        p = run.params
        n = min(p.n, len(ds.x_train))
        z = ds.x_train[:n].flatten(1).double()
        t = targets_for(p.target, ds.y_train[:n], ds.num_classes, run.seeds.noise)
        t0 = time.perf_counter()
        if p.method == "construction":
            net, stats, xs, b = construct(z, t, run.seeds.init)
            for j in range(min(40, n)):
                ctx.emit(i, PointEvent("projection", j, {"x": xs[j].item(), "b": b[j].item()}, 0.0))
        else:
            net, stats = _trained(study, z, t, run, ctx, i)
        stats["seconds"] = round(time.perf_counter() - t0, 3)
        stats["n"] = n
        if p.target != "reals":
            with torch.no_grad():
                stats["train_acc_rounded"] = (net(z).round() == t).double().mean().item()
                pred = net(ds.x_test.flatten(1).to(z.dtype)).round().clamp(0, ds.num_classes - 1)
            stats["test_acc"] = (pred.long() == ds.y_test).float().mean().item()
        ctx.emit(i, PointEvent(p.method, n, stats, stats["seconds"]))
        ctx.finish(i, Status.FINISHED, stats)
