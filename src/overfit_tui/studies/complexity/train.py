"""The complexity sweep's runner: train each run to the stopping criterion (stacked where the
specs allow), keep its initial weights, and when it ends compute its complexity measures
(measures.py) into its summary. Hooks into the engine loop; only the worker imports this."""

from __future__ import annotations

import math
import time

import torch

from overfit_tui.core.specs import RunSpec
from overfit_tui.core.status import Status
from overfit_tui.engine.data import Dataset
from overfit_tui.engine.hooks import Hook, Hooks
from overfit_tui.engine.models import build_model
from overfit_tui.engine.train import train
from overfit_tui.studies.complexity import measures as M
from overfit_tui.studies.shared.context import ExecContext
from overfit_tui.studies.shared.data import load_data, make_member, randomize


def measure_all(model, init: dict, x: torch.Tensor, y: torch.Tensor, rp, seed: int) -> dict:
    """Every measure of a trained `model` on its training set (x, y: the labels it was trained on)."""
    t0 = time.perf_counter()
    model.eval()
    n = len(x)
    gamma = M.margin_at(model, x, y, rp.margin_quantile)
    g2 = math.log10(gamma * gamma) if gamma > 0 else math.nan  # a non-positive margin: the bounds are void
    frob = M.frobenius_norms(model)
    spec_r = M.spectral_complexity(model, init)
    x_norm = math.log10(float(x.double().pow(2).sum().sqrt()))
    sigma = M.sigma_prime(model, lambda m: M.error_rate(m, x, y), rp.sharp_rise, rp.sharp_draws, seed)
    dist = M.dist_from_init(model, init)
    out = {
        "n_params": M.param_count(model),
        "l2_norm": M.l2_norm(model),
        "dist_init": dist,
        "log_prod_spec": M.log_prod(M.spectral_norms(model)),
        "log_l2_margin": 2 * M.log_prod(frob) - g2,
        "log_path_margin": 2 * math.log10(M.path_norm(model, tuple(x.shape[1:]))) - g2,
        # Bartlett et al. 2017 (Thm 1.1 without its log factors): R_A ||X||_F / (g n)
        "log_spec_bound": spec_r + x_norm - g2 / 2 - math.log10(n),
        "log_sharpness": -2 * math.log10(sigma),
        "log_pacbayes": math.log10(max(dist, 1e-12) ** 2 / (4 * sigma * sigma)),
        "margin": gamma,
        "sigma_prime": sigma,
    }
    out["measure_seconds"] = round(time.perf_counter() - t0, 2)
    return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in out.items()}


class Measure(Hook):
    """Keeps each run's initial weights (on_start) and, as a run ends, measures its final weights
    into its summary (before the context records it: put this hook first)."""

    def __init__(self, runs: list[RunSpec], data: list[Dataset], device: str):
        self.runs, self.data, self.device = runs, data, device
        self.init: dict[int, dict] = {}

    def on_start(self, loop) -> None:
        for run in loop.runs:
            self.init[run] = loop.state(run)

    def on_done(self, run: int, result) -> None:
        acc = result.final
        if "train_acc" in acc and "test_acc" in acc:
            result.extra["gap"] = acc["train_acc"] - acc["test_acc"]
        if result.status != Status.FINISHED or result.state is None:
            return  # diverged or cancelled: no trained net to measure
        spec, ds = self.runs[run], self.data[run]
        model = build_model(spec.model, ds.input_shape, ds.num_classes, spec.seeds.init).to(self.device)
        model.load_state_dict(result.state)
        d = ds.to(self.device)
        result.extra.update(measure_all(model, self.init[run], d.x_train, d.y_train, spec.params, spec.seeds.init))
        result.state = None  # measured: free it


def execute(study, runs: list[RunSpec], ctx: ExecContext) -> None:
    base = load_data(runs[0].data, ctx)
    members, data = [], []
    for i, run in enumerate(runs):
        ds = randomize(base, "labels", run.params.p, run.seeds.noise)
        data.append(ds)
        members.append(make_member(run, ds, ctx.device, i))
        ctx.started(i)
    train(members, runs[0].train, Hooks(Measure(runs, data, ctx.device), ctx), keep_state=True)
