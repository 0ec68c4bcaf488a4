"""The one place a stored run becomes what figures, tables and claims read (`RunData`): from a
stored record (a typed `RunRecord`, as the store returns it) and its metric events."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from overfit_tui.core.records import RunRecord
from overfit_tui.studies.base import RunData


def run_data(rec: RunRecord, events: list[dict]) -> RunData:
    """A stored run as RunData (its spec the stored table, its summary {} when none)."""
    return RunData(rec.id, rec.label, rec.spec_data, rec.status, dict(rec.summary), events)


def runs_data(records: Iterable[RunRecord], events_of: Callable[[str], list[dict]]) -> list[RunData]:
    """RunData of each record; `events_of(run id)` gives its events (a store's `metrics`, a cache's)."""
    return [run_data(r, events_of(r.id)) for r in records]
