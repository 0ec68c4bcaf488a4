"""The training entry point and its result types: whole data sets on the device, batches as
index slices, no host sync per step, batched evaluation, NaN detection, early stop at a
training-accuracy target.

`train()` trains one run or several same-shaped runs stacked (nets.py); the loop itself is
engine/loop.py, and studies add behaviour through hooks (engine/hooks.py), never by owning it.
"""

from __future__ import annotations

from dataclasses import replace

from overfit_tui.core.specs import TrainSpec
from overfit_tui.engine.hooks import Hook
from overfit_tui.engine.loop import Loop, evaluate, make_optimizer
from overfit_tui.engine.members import TRAIN_FIELDS, Member, TrainResult
from overfit_tui.engine.models import fusable

__all__ = ["TRAIN_FIELDS", "Hook", "Member", "TrainResult", "evaluate", "make_optimizer", "train"]


def train(
    members: list[Member],
    spec: TrainSpec,
    hooks: Hook | None = None,
    augment: bool = False,
    keep_state: bool = False,
) -> list[TrainResult]:
    """Train every member to its end (fitted, out of budget, diverged or cancelled).

    Same-shaped members train stacked; others one after another, with the same semantics.
    A stacked member trains exactly as it would alone, also after others have left."""
    hooks = hooks or Hook()
    members = [m if m.run >= 0 else replace(m, run=i) for i, m in enumerate(members)]
    members = [m if m.seed >= 0 else replace(m, seed=m.order_seed) for m in members]
    if len(members) > 1 and not all(fusable(m.model) for m in members):
        return [r for m in members for r in Loop([m], spec, hooks, augment, keep_state).run()]
    return Loop(members, spec, hooks, augment, keep_state).run()
