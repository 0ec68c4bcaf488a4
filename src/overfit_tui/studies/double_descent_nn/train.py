"""How a double_descent_nn job trains (the runner side: torch and the engine)."""

from __future__ import annotations

import math

import torch

from overfit_tui.core.specs import RunSpec
from overfit_tui.engine.hooks import Hooks
from overfit_tui.engine.models import build_model
from overfit_tui.engine.train import Member, train
from overfit_tui.studies.double_descent_nn.spec import n_params, width_train
from overfit_tui.studies.shared.context import ExecContext
from overfit_tui.studies.shared.data import AddSummary, each_run, load_data, randomize


def grow(prev: dict, model: torch.nn.Module, std: float, gen: torch.Generator) -> None:
    """Copy a smaller trained net into the first units of `model`; new weights ~ N(0, std^2)."""
    lin1, lin2 = model[1], model[3]
    with torch.no_grad():
        for p in (lin1.weight, lin1.bias, lin2.weight):
            p.copy_(torch.randn(p.shape, generator=gen) * std)
        h = prev["1.weight"].shape[0]
        lin1.weight[:h] = prev["1.weight"]
        lin1.bias[:h] = prev["1.bias"]
        lin2.weight[:, :h] = prev["3.weight"]
        lin2.bias.copy_(prev["3.bias"])


def execute(study, runs: list[RunSpec], ctx: ExecContext) -> None:
    """A job is one seed's chain of widths (see jobs); given several seeds, each starts its own chain."""
    base = load_data(runs[0].data, ctx)
    chain = None
    for i, run in each_run(runs, ctx):
        if run.seeds != chain:  # a new chain: its own label noise, no weights to reuse
            chain, prev = run.seeds, None
            ds = randomize(base, "labels", run.params.label_noise, run.seeds.noise)
            d, k, n = math.prod(ds.input_shape), ds.num_classes, len(ds.x_train)
            gen = torch.Generator().manual_seed(run.seeds.init + 7)
        model = build_model(run.model, ds.input_shape, k, run.seeds.init)
        params = n_params(d, run.params.width, k)
        below = params < n * k
        reused = bool(run.params.weight_reuse and prev is not None and below)
        if reused:
            grow(prev, model, run.params.new_weight_std, gen)
        dev = ds.to(ctx.device)
        member = Member(model.to(ctx.device), dev.x_train, dev.y_train, dev.x_test, dev.y_test, run.seeds.order, run=i)
        spec = width_train(run.train, below, run.params.belkin_schedule)
        extra = {
            "params": params,
            "threshold": n * k,
            "reused": reused,
            "lr_decay": spec.lr_decay,
            "stop_at_fit": spec.target_train_acc > 0,
        }
        (r,) = train([member], spec, Hooks(AddSummary(extra), ctx), keep_state=True)
        prev = {kk: v.cpu() for kk, v in r.state.items()} if r.state else None
