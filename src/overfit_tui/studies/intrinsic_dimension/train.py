"""How a intrinsic_dimension job trains (the runner side: torch and the engine)."""

from __future__ import annotations

from dataclasses import replace

import torch

from overfit_tui.core.specs import RunSpec
from overfit_tui.core.status import Status
from overfit_tui.engine.hooks import Hooks
from overfit_tui.engine.models import build_model, param_count
from overfit_tui.engine.projections import make_projection
from overfit_tui.engine.subspace import SubspaceModel
from overfit_tui.engine.train import Member, train
from overfit_tui.studies.intrinsic_dimension.spec import _bracket_text, _why_no_bisection, projection_seed
from overfit_tui.studies.intrinsic_dimension.sweep import RELATIVE, next_dimension
from overfit_tui.studies.shared.context import ExecContext
from overfit_tui.studies.shared.data import AddSummary, each_run, load_data, randomize


def variant_data(base, variant: str, noise_seed: int):
    """The data a variant trains on: true, one pixel permutation (train and test), or the
    training labels permuted (class counts kept; test labels untouched)."""
    if variant == "shuffled_pixels":
        return randomize(base, "shuffled_pixels", 0.0, noise_seed)
    if variant != "shuffled_labels":
        return base
    g = torch.Generator().manual_seed(noise_seed)
    return replace(base, y_train=base.y_train[torch.randperm(len(base.y_train), generator=g)])


def execute(study, runs: list[RunSpec], ctx: ExecContext) -> None:
    first = runs[0]
    ds = variant_data(load_data(first.data, ctx), first.params.variant, first.seeds.noise)
    dev = ds.to(ctx.device)
    on_train = first.params.variant == "shuffled_labels"
    metric = "train_acc" if on_train else "test_acc"
    D = param_count(build_model(first.model, ds.input_shape, ds.num_classes, first.seeds.init))
    points: dict[int, float] = {}
    threshold: float | None = None
    cache: dict = {}  # Fastfood's pieces on the device, shared by every d of this sweep
    for i, run in each_run(runs, ctx):
        rp = run.params
        base = build_model(run.model, ds.input_shape, ds.num_classes, run.seeds.init).to(ctx.device)
        extra: dict = {"D": D, "role": rp.role, "metric": metric}
        if rp.role == "baseline":
            model, spec = base, run.train
        else:
            d = rp.d
            if rp.role == "bisection":
                why = _why_no_bisection(points, threshold)
                d = None if why else next_dimension(points, threshold, D)
                if d is None:
                    ctx.finish(i, Status.FINISHED, {**extra, "bisection": why or "crossing pinned: nothing left"})
                    continue
                lo, hi = _bracket_text(points, threshold)
                extra["bisection"] = f"step {rp.step}: between {lo} and {hi}"
            proj, note = make_projection(
                rp.projection,
                D,
                d,
                projection_seed(run.seeds.init),
                ctx.device,
                rp.max_projection_mb * 2**20,
                cache,
            )
            model = SubspaceModel(base, proj, weight_decay=run.train.weight_decay)
            spec = replace(run.train, weight_decay=0.0)  # the decay acts on θ inside the model
            extra.update(d=d, projection=proj.kind, projection_seed=projection_seed(run.seeds.init))
            if note:
                extra["projection_note"] = note
        member = Member(model, dev.x_train, dev.y_train, dev.x_test, dev.y_test, run.seeds.order, run=i)
        (res,) = train([member], spec, Hooks(AddSummary(extra), ctx), augment=run.data.augment)
        acc = res.final.get(metric)
        if res.status != Status.FINISHED or acc is None:
            continue
        if rp.role == "baseline":
            threshold = RELATIVE * acc if rp.refine_on == "relative" else rp.absolute
        else:
            points[extra["d"]] = acc
