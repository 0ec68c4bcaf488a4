"""An in-memory ExecContext for study tests: each run's events as emitted (typed; `dicts(i)` gives
them as the store keeps them), the order runs started in, and each run's (status, summary) once
it ends; checkpoints stay in memory (the base class). Tests that need more (lottery's checkpoints
keyed by label, a kill mid-round) subclass it."""

from __future__ import annotations

from overfit_tui.core.events import event_to_dict
from overfit_tui.studies.shared.context import ExecContext


class Collect(ExecContext):
    def __init__(self, cache=None, **kw):
        kw.setdefault("data_dir", cache)
        kw.setdefault("cache_dir", cache)
        super().__init__(**kw)
        self.done: dict[int, tuple[str, dict]] = {}
        self.events: dict[int, list] = {}
        self.order: list[int] = []

    def started(self, i):
        self.order.append(i)

    def emit(self, i, ev):
        self.events.setdefault(i, []).append(ev)

    def finish(self, i, status, summary):
        self.done[i] = (status, summary)

    def dicts(self, i) -> list[dict]:
        """Run i's events as stored dicts (what RunData reads)."""
        return [event_to_dict(e) for e in self.events.get(i, [])]
