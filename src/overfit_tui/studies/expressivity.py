"""Study 2a: finite-sample expressivity (Zhang et al. 2017, Theorem 1, Section 4).

A two-layer ReLU net with 2n + d weights fits any n targets exactly: project the samples
on a random direction a, sort the projections x_i, put a bias b_i just below each, and
solve the lower-triangular system for the output weights (O(n), float64). Beside it, a
two-layer net with the same parameter count trained on the same targets as `[train]` says
(optimizer, lr, momentum, batch size; squared loss) for `train_steps` steps.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Literal

import torch
from torch import nn

from overfit_tui.core.events import PointEvent, StepEvent
from overfit_tui.core.schema import Field
from overfit_tui.core.spec import check, field
from overfit_tui.core.specs import GroupSpec, RunSpec, TrainSpec
from overfit_tui.engine.linalg import construction_weights
from overfit_tui.engine.train import make_optimizer
from overfit_tui.studies.base import ExecContext, Figure, RunData, Series, Study
from overfit_tui.studies.common import each_run, load_data

Target = Literal["true", "random", "reals"]


@dataclass(frozen=True)
class Params:
    """Sample count, targets, and the trained comparison."""

    n: int = field(1000, "samples to fit (the first n of the training set)", range="[2, 1e6]")
    targets: tuple[Target, ...] = field(("true", "random", "reals"), "true labels, random labels, random reals N(0,1)")
    trained: bool = field(True, "also train a two-layer net with the same parameter count ([train]'s optimizer)")
    train_steps: int = field(
        3000, "optimizer steps of the trained comparison (batches of train.batch_size)", range="[1, 1e9]"
    )

    def __post_init__(self):
        check(self.n > 1, "n", "must be > 1")
        check(self.train_steps > 0, "train_steps", "must be > 0")


@dataclass(frozen=True)
class RunParams:
    method: Literal["construction", "trained"] = field(
        "construction", "closed-form 2n+d construction, or a same-size net trained by [train]'s optimizer"
    )
    target: Target = field("random", "what is fitted")
    n: int = field(1000, "samples fitted", range="[2, 1e6]")
    train_steps: int = field(3000, "optimizer steps (trained only)", range="[1, 1e9]")


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


class Expressivity(Study):
    name = "expressivity"
    title = "Finite-sample expressivity (2n+d)"
    paper = "Zhang et al. 2017, Theorem 1"
    pane = "expressivity"
    Params = Params
    RunParams = RunParams
    summary_fields = (
        Field("params", "weights", "", "d", priority=1),
        Field("max_fit_error", "max fit error", "", ".2e", "lower", priority=1),
        Field("min_gap", "smallest gap", "", ".2e", priority=2),
        Field("max_weight", "largest weight", "", ".3g", priority=2),
        Field("optimizer", "trained by", priority=2),
    )

    def default_group(self) -> dict:
        return {
            "data": {"name": "mnist1d"},
            "models": [{"name": "mlp", "depth": 1}],
            "train": {"optimizer": "adam", "lr": 0.01, "lr_decay": 1.0, "batch_size": 4000},  # full batch
            "seeds": [0],
        }

    def expand(self, group: GroupSpec) -> list[RunSpec]:
        p = group.params
        runs = []
        methods = ["construction"] + (["trained"] if p.trained else [])
        for seeds in group.seeds:
            for target in p.targets:
                for m in methods:
                    rp = RunParams(m, target, p.n, p.train_steps)
                    name = m if m == "construction" else _optimizer_name(group.train, p.n)
                    label = f"{name}: {target}" + group.seed_tag(seeds)
                    runs.append(RunSpec(self.name, label, group.data, group.models[0], group.train, seeds, rp))
        return runs

    def claims(self) -> tuple:
        from overfit_tui.studies.expressivity_claims import CLAIMS

        return CLAIMS

    def jobs(self, runs: list[RunSpec], on_gpu: bool = False) -> list[list[int]]:
        return [list(range(len(runs)))]  # all closed-form or small: one worker, data loaded once

    def execute(self, runs: list[RunSpec], ctx: ExecContext) -> None:
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
                net, stats = self._trained(z, t, run, ctx, i)
            stats["seconds"] = round(time.perf_counter() - t0, 3)
            stats["n"] = n
            if p.target != "reals":
                with torch.no_grad():
                    stats["train_acc_rounded"] = (net(z).round() == t).double().mean().item()
                    pred = net(ds.x_test.flatten(1).to(z.dtype)).round().clamp(0, ds.num_classes - 1)
                stats["test_acc"] = (pred.long() == ds.y_test).float().mean().item()
            ctx.emit(i, PointEvent(p.method, n, stats, stats["seconds"]))
            ctx.finish(i, "finished", stats)

    def _trained(self, z, t, run: RunSpec, ctx: ExecContext, i: int):
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

    def figures(self, runs: list[RunData]) -> list[Figure]:
        figs = []
        cons = [r for r in runs if r.spec["params"]["method"] == "construction" and r.points("projection")]
        if cons:
            pts = cons[0].points("projection")
            figs.append(
                Figure(
                    "projections",
                    f"Sorted projections x_i and biases b_i ({cons[0].label})",
                    "i",
                    "value",
                    (
                        Series("x_i", tuple(p["x"] for p in pts), tuple(p["values"]["x"] for p in pts), True),
                        Series("b_i", tuple(p["x"] for p in pts), tuple(p["values"]["b"] for p in pts), True),
                    ),
                )
            )
        done = [r for r in runs if "max_fit_error" in r.summary]
        if done:
            series = []
            for m in ("construction", "trained"):
                rs = [r for r in done if r.spec["params"]["method"] == m]
                if rs:
                    name = m if m == "construction" else rs[0].summary.get("optimizer", m)
                    series.append(
                        Series(
                            name,
                            tuple(range(len(rs))),
                            tuple(max(r.summary["max_fit_error"], 1e-16) for r in rs),
                            True,
                        )
                    )
            figs.append(
                Figure(
                    "fit",
                    "Max fit error per target (true, random, reals)",
                    "target #",
                    "max |f(z)-y|",
                    tuple(series),
                    ylog=True,
                )
            )
        return figs


def _optimizer_name(spec: TrainSpec, n: int) -> str:
    """What the comparison really is, e.g. 'full-batch adam' or 'sgd (batch 100)'."""
    return f"full-batch {spec.optimizer}" if spec.batch_size >= n else f"{spec.optimizer} (batch {spec.batch_size})"


class _Squeeze(nn.Module):
    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, z):
        return self.net(z).squeeze(1)
