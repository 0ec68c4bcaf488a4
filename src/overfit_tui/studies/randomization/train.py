"""How a randomization job trains (the runner side: torch and the engine)."""

from __future__ import annotations

from overfit_tui.core.specs import RunSpec
from overfit_tui.engine.train import train
from overfit_tui.studies.shared.context import ExecContext
from overfit_tui.studies.shared.data import load_data, make_member, randomize


def execute(study, runs: list[RunSpec], ctx: ExecContext) -> None:
    base = load_data(runs[0].data, ctx)
    members = []
    for i, run in enumerate(runs):
        ds = randomize(base, run.params.condition, run.params.p, run.seeds.noise)
        members.append(make_member(run, ds, ctx.device, i))
        ctx.started(i)
    train(members, runs[0].train, ctx, augment=runs[0].data.augment)
