"""How a regularization job trains (the runner side: torch and the engine)."""

from __future__ import annotations

from overfit_tui.core.specs import RunSpec
from overfit_tui.engine.train import train
from overfit_tui.studies.shared.context import ExecContext
from overfit_tui.studies.shared.data import load_data, make_member, randomize


def execute(study, runs: list[RunSpec], ctx: ExecContext) -> None:
    for i, run in enumerate(runs):
        ds = randomize(load_data(run.data, ctx), "labels", run.params.p, run.seeds.noise)
        ctx.started(i)
        train([make_member(run, ds, ctx.device, i)], run.train, ctx, run.data.augment)
