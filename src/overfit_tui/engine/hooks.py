"""Hooks: how studies add behaviour to the training loop without forking it.

A `Hook` sees the live `Loop` (engine/loop.py): the step and epoch, the optimizer, every
member's parameters (views into stacked leaves where runs train stacked), their states
(checkpoints) and the last batch. The loop calls, in this order:

    on_start(loop)              members built, before the step-0 evaluation (epoch-0 checkpoints)
    after_step(loop)            after every optimizer step (masks: re-zero pruned weights)
    on_event(run, event)        every metric event (step, eval, point)
    on_epoch_end(loop)          after the epoch's learning-rate decay, before its evaluation
    on_done(run, result)        a member ended (fitted, out of budget, diverged or cancelled)

`should_stop()` / `member_cancelled(run)` are polled at each log step. Members are named by
their `run` index (the run's position in the study's job), so hooks never map indices.
`Hooks` fans one call out to several hooks, in order (a study's hook first, the context last).
"""

from __future__ import annotations

from typing import Any

# What a hook receives: the live engine.loop.Loop. Named here without importing loop.py, which
# imports this module (no two engine modules import each other, not even under TYPE_CHECKING).
Loop = Any


class Hook:
    """Base class: override what you need; every method defaults to doing nothing."""

    def on_start(self, loop: Loop) -> None:
        pass

    def after_step(self, loop: Loop) -> None:
        pass

    def on_event(self, run: int, event: Any) -> None:
        pass

    def on_epoch_end(self, loop: Loop) -> None:
        pass

    def on_done(self, run: int, result: Any) -> None:
        pass

    def should_stop(self) -> bool:
        return False

    def member_cancelled(self, run: int) -> bool:
        return False


class Hooks(Hook):
    """Several hooks as one: each call goes to every hook in order; stop if any asks."""

    def __init__(self, *hooks: Hook | None):
        self.hooks = [h for h in hooks if h is not None]

    def on_start(self, loop):
        for h in self.hooks:
            h.on_start(loop)

    def after_step(self, loop):
        for h in self.hooks:
            h.after_step(loop)

    def on_event(self, run, event):
        for h in self.hooks:
            h.on_event(run, event)

    def on_epoch_end(self, loop):
        for h in self.hooks:
            h.on_epoch_end(loop)

    def on_done(self, run, result):
        for h in self.hooks:
            h.on_done(run, result)

    def should_stop(self):
        return any(h.should_stop() for h in self.hooks)

    def member_cancelled(self, run):
        return any(h.member_cancelled(run) for h in self.hooks)
