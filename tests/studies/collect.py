"""An in-memory ExecContext for study tests: each run's events as emitted, and its (status,
summary) once it ends; checkpoints stay in memory (the base class)."""

from __future__ import annotations

from overfit_tui.studies.shared.context import ExecContext


class Collect(ExecContext):
    def __init__(self, cache=None):
        super().__init__(cache_dir=cache, data_dir=cache)
        self.done: dict[int, tuple[str, dict]] = {}
        self.events: dict[int, list] = {}

    def emit(self, i, ev):
        self.events.setdefault(i, []).append(ev)

    def finish(self, i, status, summary):
        self.done[i] = (status, summary)
