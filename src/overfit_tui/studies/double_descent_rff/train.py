"""How a double_descent_rff job trains (the runner side: torch and the engine)."""

from __future__ import annotations

import math
import time

import torch

from overfit_tui.core.events import PointEvent
from overfit_tui.core.specs import RunSpec, Seeds
from overfit_tui.core.status import Status
from overfit_tui.engine.linalg import min_norm_lstsq, rff_features
from overfit_tui.studies.shared.context import ExecContext
from overfit_tui.studies.shared.data import each_run, load_data, randomize


def _draw(base, run: RunSpec, n_max: int, dev: str) -> tuple:
    """A seed's training labels (label noise from seeds.noise) and frequencies (seeds.init)."""
    ds = randomize(base, "labels", run.params.label_noise, run.seeds.noise)
    xtr = ds.x_train.flatten(1).to(dev, torch.float64)
    xte = ds.x_test.flatten(1).to(dev, torch.float64)
    ytr = torch.nn.functional.one_hot(ds.y_train, ds.num_classes).to(dev, torch.float64)
    yte = torch.nn.functional.one_hot(ds.y_test, ds.num_classes).to(dev, torch.float64)
    d = xtr.shape[1]
    sigma = run.params.sigma or math.sqrt(d)
    g = torch.Generator().manual_seed(run.seeds.init)
    # drawn [n_max, d] and transposed: the first N/2 columns do not depend on n_max
    freqs = (torch.randn(n_max, d, generator=g, dtype=torch.float64).T / sigma).to(dev)
    return xtr, xte, ytr, yte, freqs


def execute(study, runs: list[RunSpec], ctx: ExecContext) -> None:
    base = load_data(runs[0].data, ctx)
    dev = ctx.device
    draws: dict[Seeds, tuple] = {}  # one draw of labels and frequencies per seed
    n_max = max(r.params.n_features for r in runs) // 2
    for i, run in each_run(runs, ctx):
        if run.seeds not in draws:
            draws[run.seeds] = _draw(base, run, n_max, dev)
        xtr, xte, ytr, yte, freqs = draws[run.seeds]
        t0 = time.perf_counter()
        v = freqs[:, : run.params.n_features // 2]  # nested: each N extends the previous features
        phi_tr, phi_te = rff_features(xtr, v), rff_features(xte, v)
        a = min_norm_lstsq(phi_tr, ytr)
        ptr, pte = phi_tr @ a, phi_te @ a
        stats = {
            "n_features": run.params.n_features,
            "n": len(xtr),
            "train_risk": (ptr - ytr).pow(2).sum(1).mean().item(),
            "test_risk": (pte - yte).pow(2).sum(1).mean().item(),
            "train_error": (ptr.argmax(1) != ytr.argmax(1)).double().mean().item(),
            "test_error": (pte.argmax(1) != yte.argmax(1)).double().mean().item(),
            "norm": a.norm().item(),
            "seed": run.seeds.init,
            "seconds": round(time.perf_counter() - t0, 3),
        }
        ctx.emit(i, PointEvent("rff", run.params.n_features, stats, stats["seconds"]))
        ctx.finish(i, Status.FINISHED, stats)
