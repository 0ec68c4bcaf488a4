"""A polling feed of the store for live views: changed records and newly appended metric events.

Headless (the TUI calls `poll()` from a background thread; tests call it directly).
"""

from __future__ import annotations

import time

from overfit_tui.runs.liveness import reconcile
from overfit_tui.store import Store
from overfit_tui.store.metrics import MetricTail

RECONCILE_S = 3.0


class RunFeed:
    """Tracks every stored run; `poll()` returns (records if changed else None, {run_id: new events})."""

    def __init__(self, store: Store):
        self.store = store
        self.tails: dict[str, MetricTail] = {}
        self._last_records: list[dict] | None = None
        self._last_reconcile = 0.0

    def poll(self) -> tuple[list[dict] | None, dict[str, list[dict]]]:
        if time.monotonic() - self._last_reconcile > RECONCILE_S:
            self._last_reconcile = time.monotonic()
            reconcile(self.store)
        records = self.store.runs()
        changed = records if records != self._last_records else None
        self._last_records = records
        new: dict[str, list[dict]] = {}
        for r in records:
            tail = self.tails.get(r["id"])
            if tail is None:
                tail = self.tails[r["id"]] = MetricTail(self.store.metrics_path(r["id"]))
            evs = tail.read_new()
            if evs:
                new[r["id"]] = evs
        for gone in set(self.tails) - {r["id"] for r in records}:
            del self.tails[gone]
        return changed, new
