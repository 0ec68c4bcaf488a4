"""How a kernel job trains (the runner side: torch and the engine)."""

from __future__ import annotations

import time

import torch

from overfit_tui.core.events import PointEvent
from overfit_tui.core.specs import RunSpec
from overfit_tui.core.status import Status
from overfit_tui.engine.linalg import kernel_matrix, min_norm_solve
from overfit_tui.engine.transforms import corrupt_labels
from overfit_tui.studies.shared.context import ExecContext
from overfit_tui.studies.shared.data import each_run, load_data


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
    norm = torch.sqrt((alpha * (k @ alpha)).sum()).item()  # ||w||, w = Phi^T alpha (the paper's norm)
    residual = (k @ alpha - onehot).abs().max().item()
    return {
        "n": len(xtr),
        "features": xtr.shape[1],
        "solver": solver,
        "gamma": gamma,
        "seconds": round(time.perf_counter() - t0, 3),
        "train_error": (train_pred != ytr).float().mean().item(),
        "test_error": (test_pred != ds.y_test).float().mean().item(),
        "norm": norm,
        "max_residual": residual,
        # fits every one-hot target (float32 solves on a GPU carry ~1e-3 error)
        "interpolant": residual < (1e-6 if dtype == torch.float64 else 1e-2),
    }


def execute(study, runs: list[RunSpec], ctx: ExecContext) -> None:
    for i, run in each_run(runs, ctx):
        stats = solve_run(run, ctx)
        ctx.emit(i, PointEvent("solve", run.params.p, stats, stats["seconds"]))
        ctx.finish(i, Status.FINISHED, stats)
