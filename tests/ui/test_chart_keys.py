"""Every chart key (m f s l g, and v at 80 columns) on every group of every pane, on recorded
runs: finished at 120x40, and replayed at 80x24 as running with half their events (the
exhaustive figure x flag combinations are in test_charts.py). Any exception, in a handler or
while a chart renders, fails."""

from __future__ import annotations

import asyncio

import pytest

from overfit_tui.core.status import Status
from overfit_tui.ui.app import make_app

from .chart_keys import SHORT, VIEWS, each_pane


@pytest.mark.long
@pytest.mark.parametrize(("size", "partial"), [((120, 40), False), ((80, 24), True)])
def test_chart_keys_on_every_recorded_group(finished, size, partial):
    """Every group of every pane, finished at 120x40, or replayed at 80x24 as running with
    half its events (the exhaustive figure x flag combinations are in test_charts.py)."""

    async def go():
        app = make_app(home=finished.root, poll=False)
        async with app.run_test(size=size) as pilot:
            records = app.store.runs()
            events = {r.id: app.store.metrics(r.id) for r in records}
            if partial:
                records = [r.replace(status=Status.RUNNING, summary={}) for r in records]
                events = {rid: evs[: len(evs) // 2] for rid, evs in events.items()}
            app.cache.set_records(records)
            app.cache.add_events(events)
            await each_pane(pilot, app, SHORT + (VIEWS if partial else []), every_group=True)

    asyncio.run(go())
