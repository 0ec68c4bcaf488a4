"""Study 2b: the minimum-norm kernel interpolant (Zhang et al. 2017, Section 5).

Solve K alpha = y exactly (no regularization) for linear and Gaussian kernels, with true
and random labels, optionally on random ReLU features; report train/test error and the
RKHS norm sqrt(tr(alpha^T K alpha)). Kernels are built in chunks; solves run in float64
(CPU) or the chosen precision on a GPU.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Literal

import torch

from overfit_tui.core.events import PointEvent
from overfit_tui.core.schema import Field
from overfit_tui.core.spec import check, field
from overfit_tui.core.specs import GroupSpec, RunSpec
from overfit_tui.engine.linalg import kernel_matrix, min_norm_solve
from overfit_tui.engine.transforms import corrupt_labels
from overfit_tui.studies.base import ExecContext, Figure, RunData, Series, Study
from overfit_tui.studies.common import each_run, load_data

Kernel = Literal["linear", "gaussian"]


@dataclass(frozen=True)
class Params:
    kernels: tuple[Kernel, ...] = field(("gaussian", "linear"), "kernels to solve with")
    labels: tuple[float, ...] = field((0.0, 1.0), "label corruption levels (0 true, 1 random)")
    random_features: int = field(0, "random ReLU features as preprocessing (0 = raw inputs)")
    gamma: float = field(0.0, "Gaussian kernel exp(-gamma |x-y|^2); 0 = 1 / (d * mean feature variance)")
    precision: Literal["float64", "float32"] = field("float64", "solve precision (float32 only on a GPU)")

    def __post_init__(self):
        check(self.random_features >= 0, "random_features", "must be >= 0")
        check(self.gamma >= 0, "gamma", "must be >= 0")
        for i, p in enumerate(self.labels):
            check(0 <= p <= 1, f"labels[{i}]", "must be in [0, 1]")


@dataclass(frozen=True)
class RunParams:
    kernel: Kernel = field("gaussian", "kernel")
    p: float = field(0.0, "label corruption")
    random_features: int = field(0, "random ReLU features")
    gamma: float = field(0.0, "Gaussian bandwidth (0 = automatic)")
    precision: str = field("float64", "solve precision")


class KernelInterpolation(Study):
    name = "kernel"
    title = "Min-norm kernel interpolation"
    paper = "Zhang et al. 2017, Section 5: implicit regularization"
    pane = "expressivity"
    Params = Params
    RunParams = RunParams
    summary_fields = (
        Field("train_error", "train error", "%", ".1f", "lower", priority=1),
        Field("test_error", "test error", "%", ".1f", "lower", priority=1),
        Field("norm", "norm", "", ".4g", priority=1),
        Field("solver", "solver", priority=3),
    )

    def default_group(self) -> dict:
        return {"data": {"name": "mnist1d"}, "models": [{"name": "linear"}], "seeds": [0]}

    def expand(self, group: GroupSpec) -> list[RunSpec]:
        p = group.params
        runs = []
        for k in p.kernels:
            for c in p.labels:
                rp = RunParams(k, c, p.random_features, p.gamma, p.precision)
                label = f"{k}: {'true' if c == 0 else 'random' if c == 1 else f'p={c:g}'} labels"
                for seeds in group.seeds:
                    lab = label + group.seed_tag(seeds)
                    runs.append(RunSpec(self.name, lab, group.data, group.models[0], group.train, seeds, rp))
        return runs

    def jobs(self, runs: list[RunSpec], on_gpu: bool = False) -> list[list[int]]:
        return [list(range(len(runs)))]

    def execute(self, runs: list[RunSpec], ctx: ExecContext) -> None:
        for i, run in each_run(runs, ctx):
            stats = solve_run(run, ctx)
            ctx.emit(i, PointEvent("solve", run.params.p, stats, stats["seconds"]))
            ctx.finish(i, "finished", stats)

    def figures(self, runs: list[RunData]) -> list[Figure]:
        done = [r for r in runs if "test_error" in r.summary]
        figs = []
        for key, title in (("test_error", "Test error"), ("norm", "Solution norm")):
            series = []
            for k in ("gaussian", "linear"):
                rs = sorted((r for r in done if r.spec["params"]["kernel"] == k), key=lambda r: r.spec["params"]["p"])
                if rs:
                    series.append(
                        Series(k, tuple(r.spec["params"]["p"] for r in rs), tuple(r.summary[key] for r in rs), True)
                    )
            figs.append(
                Figure(
                    key,
                    f"{title} vs label corruption",
                    "label corruption p",
                    key.replace("_", " "),
                    tuple(series),
                    ylog=key == "norm",
                )
            )
        return figs


def solve_run(run: RunSpec, ctx: ExecContext) -> dict:
    p = run.params
    ds = load_data(run.data, ctx)
    dev = ctx.device if p.precision == "float32" or ctx.device != "cpu" else "cpu"
    dtype = torch.float64 if p.precision == "float64" else torch.float32
    xtr = ds.x_train.flatten(1).to(dev, dtype)
    xte = ds.x_test.flatten(1).to(dev, dtype)
    if p.random_features:
        g = torch.Generator().manual_seed(run.seeds.init)
        w = (
            torch.randn(xtr.shape[1], p.random_features, generator=g, dtype=torch.float64).to(dev, dtype)
            / xtr.shape[1] ** 0.5
        )
        xtr, xte = torch.relu(xtr @ w), torch.relu(xte @ w)
    ytr = corrupt_labels(ds.y_train, p.p, ds.num_classes, torch.Generator().manual_seed(run.seeds.noise))
    onehot = torch.nn.functional.one_hot(ytr, ds.num_classes).to(dev, dtype)
    gamma = p.gamma or 1.0 / (xtr.shape[1] * xtr.var(0).mean().item())
    t0 = time.perf_counter()
    k = kernel_matrix(xtr, xtr, p.kernel, gamma)
    alpha, solver = min_norm_solve(k, onehot)
    train_pred = (k @ alpha).argmax(1).cpu()
    test_pred = (kernel_matrix(xte, xtr, p.kernel, gamma) @ alpha).argmax(1).cpu()
    norm = torch.sqrt((alpha * (k @ alpha)).sum()).item()
    return {
        "n": len(xtr),
        "solver": solver,
        "gamma": gamma,
        "seconds": round(time.perf_counter() - t0, 3),
        "train_error": (train_pred != ytr).float().mean().item(),
        "test_error": (test_pred != ds.y_test).float().mean().item(),
        "norm": norm,
        "max_residual": (k @ alpha - onehot).abs().max().item(),
    }
