"""How a batchnorm job trains (the runner side: torch and the engine)."""

from __future__ import annotations

from overfit_tui.core.specs import RunSpec
from overfit_tui.engine.hooks import Hooks
from overfit_tui.engine.models import with_noisy_batchnorm
from overfit_tui.engine.train import train
from overfit_tui.studies.batchnorm.landscape import LandscapeProbe
from overfit_tui.studies.shared.context import ExecContext
from overfit_tui.studies.shared.data import load_data, make_member


def execute(study, runs: list[RunSpec], ctx: ExecContext) -> None:
    ds = load_data(runs[0].data, ctx)
    members = []
    for i, run in enumerate(runs):
        ctx.started(i)
        member = make_member(run, ds, ctx.device, i)
        if run.params.norm == "noisy_bn":
            with_noisy_batchnorm(member.model, run.params.noise_mean, run.params.noise_std)
        members.append(member)
    p = runs[0].params
    probe = LandscapeProbe(p.probe_every, p.eta_lo, p.eta_hi, p.n_eta, p.probe_chunk)
    train(members, runs[0].train, Hooks(probe, ctx))
