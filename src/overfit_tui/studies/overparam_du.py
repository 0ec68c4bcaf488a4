"""Overparameterization, part 2: gradient descent near initialization (Du, Zhai, Poczos, Singh,
ICLR 2019, "Gradient descent provably optimizes over-parameterized neural networks"; the
reading-group notes' §5.2; the paper's Fig. 1 on synthetic data).

A two-layer ReLU net f(x) = m^-1/2 sum_r a_r relu(w_r . x) (studies/overparam_nets.py), first
layer w_r ~ N(0, I) trained, output signs a_r fixed, squared loss 1/2 sum (f - y)^2, full-batch
gradient descent with step `train.lr`, n points uniform on the unit sphere of R^d
(`data.n_train`, `data.gaussian_dim`) with N(0, 1) labels (or random ±1). One run per width m
and seed, all in one worker; every width of a seed fits the same data (seeds.noise). Over
training: the loss (the paper: linear convergence), the largest relative distance
max_r |w_r(t) - w_r(0)| / |w_r(0)|,
the fraction of ReLU activation patterns changed since init, and for n <= `gram_max_n` the
smallest eigenvalue of the Gram matrix H(t) over that of H(0). The theory says all but the loss
shrink like m^-1/2.

Deviations: the paper uses n = d = 1000 and m up to a few thousand on a GPU; the CPU preset is
smaller (see its file). `train.epochs` is the number of GD steps; batch size, momentum and lr
decay are not used (plain GD). data.name 'gaussian' marks the data as synthetic: none is loaded.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Literal

import torch

from overfit_tui.core.events import PointEvent, StepEvent
from overfit_tui.core.schema import Field
from overfit_tui.core.spec import check, field
from overfit_tui.core.specs import GroupSpec, RunSpec
from overfit_tui.studies.base import ExecContext, Figure, RunData, Series, Study
from overfit_tui.studies.claims import Claim, finished, pending, stat_of, verdict
from overfit_tui.studies.common import each_run
from overfit_tui.studies.overparam_nets import (
    DuNet,
    gram,
    lambda_min,
    max_relative_distance,
    pattern_change,
    sphere_data,
    squared,
)
from overfit_tui.studies.replicates import replicate_series, replicates, scalar_series


@dataclass(frozen=True)
class Params:
    widths: tuple[int, ...] = field(
        (50, 100, 200, 400, 800, 1600, 3200), "hidden units m (a log grid), one run each", range="[1, 1e6]"
    )
    labels: Literal["gaussian", "signs"] = field("gaussian", "labels: N(0, 1) (the paper) or random ±1")
    gram_max_n: int = field(
        200, "track the Gram matrix's smallest eigenvalue when n is at most this", range="[0, 5000]"
    )

    def __post_init__(self):
        check(len(self.widths) > 0 and all(0 < m <= 1_000_000 for m in self.widths), "widths", "needs m in [1, 1e6]")
        check(0 <= self.gram_max_n <= 5000, "gram_max_n", "must be in [0, 5000]")


@dataclass(frozen=True)
class RunParams:
    width: int = field(100, "hidden units m", range="[1, 1e6]")
    labels: Literal["gaussian", "signs"] = field("gaussian", "labels")
    gram: bool = field(True, "track the Gram matrix's smallest eigenvalue")


MEASURES = {  # point value -> (figure title, y label, log y)
    "loss": ("Training loss (the paper: linear convergence)", "1/2 sum (f - y)^2", True),
    "distance": ("Largest relative distance from init", "max_r |w_r - w_r(0)| / |w_r(0)|", True),
    "patterns": ("Activation patterns changed since init", "fraction of (i, r)", True),
    "lambda_ratio": ("Smallest Gram eigenvalue, H(t) over H(0)", "lambda_min H(t) / lambda_min H(0)", False),
}


class OverparamDu(Study):
    name = "overparam_du"
    title = "Overparameterization: GD near initialization"
    paper = "Du, Zhai, Poczos, Singh 2019: Gradient descent provably optimizes over-parameterized neural networks"
    pane = "overparameterization"
    Params = Params
    RunParams = RunParams
    summary_fields = (
        Field("width", "m", "", "d", priority=1),
        Field("final_loss", "final loss", "", ".3g", "lower", priority=1),
        Field("loss_ratio", "loss / initial", "", ".2e", "lower", priority=2),
        Field("distance", "max rel. distance", "", ".3g", priority=1),
        Field("patterns", "patterns changed", "%", ".2f", priority=1),
        Field("lambda0", "lambda_min H(0)", "", ".3g", priority=3),
        Field("lambda_ratio_min", "min lambda ratio", "", ".3g", priority=2),
    )

    def default_group(self) -> dict:
        return {
            "data": {"name": "gaussian", "n_train": 100, "gaussian_dim": 200},
            "models": [{"name": "linear"}],  # not used: the nets are built here
            "train": {"lr": 0.5, "momentum": 0.0, "lr_decay": 1.0, "epochs": 1000, "log_every": 10},
            "seeds": [0, 1, 2],
        }

    def validate(self, group: GroupSpec) -> None:
        check(group.data.name == "gaussian", "data.name", "the data are synthetic: keep data.name = 'gaussian'")
        check(group.data.n_train >= 2, "data.n_train", "must be >= 2 (n points on the sphere)")

    def expand(self, group: GroupSpec) -> list[RunSpec]:
        p = group.params
        gram_on = group.data.n_train <= p.gram_max_n
        return [
            RunSpec(
                self.name,
                f"m={m}" + group.seed_tag(s),
                group.data,
                group.models[0],
                group.train,
                s,
                RunParams(m, p.labels, gram_on),
            )
            for s in group.seeds
            for m in sorted(set(p.widths))
        ]

    def jobs(self, runs: list[RunSpec], on_gpu: bool = False) -> list[list[int]]:
        """One job for the group: seconds of training, less than a worker process per seed costs to start."""
        return [list(range(len(runs)))]

    def execute(self, runs: list[RunSpec], ctx: ExecContext) -> None:
        for i, run in each_run(runs, ctx):
            p, spec = run.params, run.train
            g = torch.Generator().manual_seed(run.seeds.noise)
            x, y = (t.to(ctx.device) for t in sphere_data(run.data.n_train, run.data.gaussian_dim, p.labels, g))
            gen = torch.Generator().manual_seed(run.seeds.init * 100_003 + p.width)
            net = DuNet.random(p.width, x.shape[1], gen).to(ctx.device)
            summary = du_train(net, x, y, spec.lr, spec.epochs, spec.log_every, p.gram, ctx, i)
            ctx.finish(i, "finished" if summary else "cancelled", {"width": p.width, **(summary or {})})

    def claims(self) -> tuple:
        return CLAIMS

    def figures(self, runs: list[RunData]) -> list[Figure]:
        figs = []
        for key, (title, ylabel, ylog) in MEASURES.items():
            series = _point_series(runs, key)
            if series or key != "lambda_ratio":
                figs.append(Figure(f"du_{key}", f"{title}, per width", "GD step", ylabel, series, ylog=ylog))
        done = [r for r in runs if "distance" in r.summary]
        m = lambda r: r.summary["width"]
        final = [
            scalar_series("max rel. distance", done, m, lambda r: r.summary["distance"]),
            scalar_series("patterns changed", done, m, lambda r: r.summary["patterns"]),
        ]
        ref = _reference(final[0])
        figs.append(
            Figure(
                "du_vs_width",
                "Final distance from init and changed patterns vs width (theory: m^-1/2)",
                "width m",
                "final value",
                tuple(final) + ((ref,) if ref else ()),
                xlog=True,
                ylog=True,
            )
        )
        return figs


def du_train(net: DuNet, x, y, lr: float, steps: int, every: int, track_gram: bool, ctx: ExecContext, i: int):
    """Full-batch GD; emits the loss every `every` steps and the measures as 'du' points. None if stopped."""
    t0 = time.perf_counter()
    w0 = net.w.detach().clone()
    lam0 = lambda_min(gram(w0, x)) if track_gram else None
    first, low = None, None  # the initial loss; the smallest H(t)/H(0) eigenvalue ratio so far
    vals: dict = {}
    for step in range(steps + 1):
        out = net(x)
        loss = squared(out, y)
        if first is None:
            first = loss.item()
        if step % every == 0 or step == steps:
            w = net.w.detach()
            vals = {
                "loss": loss.item(),
                "distance": max_relative_distance(w, w0),
                "patterns": pattern_change(w, w0, x),
            }
            if lam0 is not None:
                vals["lambda_ratio"] = lambda_min(gram(w, x)) / lam0
                low = min(low, vals["lambda_ratio"]) if low is not None else vals["lambda_ratio"]
            wall = time.perf_counter() - t0
            ctx.emit(i, StepEvent(step, float(step), loss.item(), lr, wall, 0.0))
            ctx.emit(i, PointEvent("du", step, vals, wall))
            if ctx.should_stop():
                return None
        if step == steps or not math.isfinite(loss.item()):
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
        "lambda_ratio_min": low,
        "steps": step,
        "seconds": round(time.perf_counter() - t0, 3),
    }


def _point_series(runs: list[RunData], key: str) -> tuple[Series, ...]:
    """One curve per width: the mean over seeds of a 'du' point value, with a min-max band."""
    out = []
    for name, rs in replicates(runs):
        curves = []
        for r in rs:
            pts = [(p["x"], p["values"][key]) for p in r.points("du") if p["values"].get(key) is not None]
            if pts:
                curves.append((tuple(p[0] for p in pts), tuple(p[1] for p in pts)))
        if (s := replicate_series(name, curves)) is not None:
            out.append(s)
    return tuple(out)


def _reference(s: Series) -> Series | None:
    """c m^-1/2 through the first point of `s`: the theory's rate, for the eye."""
    if not s.x or s.y[0] <= 0:
        return None
    c = s.y[0] * math.sqrt(s.x[0])
    return Series("m^-1/2 (theory)", s.x, tuple(c / math.sqrt(m) for m in s.x))


def _falls(key: str, what: str):
    def check(runs):
        by_m: dict[int, list[RunData]] = {}
        for r in finished(runs, lambda r: key in r.summary):
            by_m.setdefault(r.summary["width"], []).append(r)
        if len(by_m) < 2:
            return pending("needs finished runs at two widths or more")
        ms = sorted(by_m)
        lo, hi = stat_of(by_m[ms[0]], key), stat_of(by_m[ms[-1]], key)
        slope = math.log(hi.mean / lo.mean) / math.log(ms[-1] / ms[0]) if lo.mean > 0 and hi.mean > 0 else None
        measured = f"m={ms[0]}: {lo.mean:.3g}, m={ms[-1]}: {hi.mean:.3g}" + (
            f" (slope {slope:.2f} on log-log)" if slope is not None else ""
        )
        return verdict(hi.mean < lo.mean, measured, f"mean {what} at the largest width below that at the smallest")

    return check


def _check_linear(runs):
    by_m: dict[int, list[RunData]] = {}
    for r in finished(runs, lambda r: r.summary.get("loss_ratio") is not None):
        by_m.setdefault(r.summary["width"], []).append(r)
    if not by_m:
        return pending("no finished run yet")
    m = max(by_m)
    ratio = stat_of(by_m[m], "loss_ratio")
    return verdict(ratio.hi < 1e-3, f"m={m}: loss / initial = {ratio.mean:.2e}", "every seed below 1e-3 of its start")


def _check_gram(runs):
    by_m: dict[int, list[RunData]] = {}
    for r in finished(runs, lambda r: r.summary.get("lambda_ratio_min") is not None):
        by_m.setdefault(r.summary["width"], []).append(r)
    if not by_m:
        return pending("no finished run with the Gram matrix tracked (n <= gram_max_n) yet")
    m = max(by_m)
    low = stat_of(by_m[m], "lambda_ratio_min")
    return verdict(low.lo > 0.5, f"m={m}: smallest ratio {low.lo:.3f}", "every seed above 1/2 all along")


CLAIMS = (
    Claim(
        "loss-linear",
        "At large width the training loss falls geometrically (linear convergence) to zero.",
        "Thm. 3.1, Fig. 1a",
        "linear rate",
        _check_linear,
    ),
    Claim(
        "distance-falls",
        "The weights move less from their initialization as the width grows.",
        "Fig. 1c",
        "O(m^-1/2)",
        _falls("distance", "max relative distance"),
    ),
    Claim(
        "patterns-fall",
        "Fewer ReLU activation patterns change as the width grows.",
        "Fig. 1b",
        "O(m^-1/2)",
        _falls("patterns", "fraction of changed patterns"),
    ),
    Claim(
        "gram-stable",
        "At large width the Gram matrix's smallest eigenvalue stays above half its initial value.",
        "Lemma 3.2 / Thm. 3.1",
        "lambda_min H(t) >= lambda_0 / 2",
        _check_gram,
    ),
)
