"""A restarted run stays with its group: `R` makes a new group in the store (runs/launcher.py
restart(), kept as it is), but the pane keeps showing the group it came from, with the
restarted run listed beside the others, and does not count the restart as a group of its own."""

from __future__ import annotations

import asyncio

from overfit_tui.core.records import GroupRecord
from overfit_tui.runs import launcher
from overfit_tui.ui.app import make_app
from overfit_tui.ui.cache import restart_sources
from overfit_tui.ui.run_table import RunTable

from .finished_store import load_into
from .polling import until


def test_a_restart_is_shown_in_its_source_group(home, monkeypatch):
    load_into(home)
    monkeypatch.setattr(launcher, "start_scheduler", lambda store: None)  # no training: the records are the point

    async def go():
        app = make_app(home=home.root, preset="randomization-mnist1d")
        async with app.run_test(size=(140, 45)) as pilot:
            pane = app.active_pane()
            assert await until(pilot, lambda: pane.current_group() is not None and app.cache.runs(), timeout=60)
            gid, n_groups = pane.current_group(), len(app.cache.groups(pane.studies))
            old = sorted(app.cache.runs(group=gid), key=lambda r: r.index)
            table = pane.query_one(RunTable)
            assert await until(pilot, lambda: table.row_count == len(old), timeout=30)
            new_gid = await asyncio.to_thread(launcher.restart, app.store, old[1].id)
            assert await until(pilot, lambda: new_gid in app.cache.restarts and app.cache.runs(group=new_gid), 60)
            await pilot.pause(0.5)
            assert pane.current_group() == gid  # the pane stays on the group, not the restart's
            assert len(app.cache.groups(pane.studies)) == n_groups  # the restart is not a group of its own
            assert await until(pilot, lambda: table.row_count == len(old) + 1, timeout=30)  # beside its group's runs
            records, runs = pane._group_runs(gid)
            assert records[-1].group == new_gid, [(r.group, r.label) for r in records]
            assert records[-1].label == old[1].label
            assert old[1].id not in {r.id for r in runs}  # figures and claims count the redo, once
            assert new_gid not in str(pane.query_one("#group-title").render())

    asyncio.run(go())


def test_a_restart_of_a_restart_belongs_to_the_first_group():
    class Store:
        groups = {  # as the store returns them: typed
            g: GroupRecord(g, "randomization", 0.0, restart_of=(r,))
            for g, r in (("restart-a1", "a1"), ("restart-b1", "b1"))
        }

        def group(self, gid):
            return self.groups.get(gid)

    index = {
        "g": {"ids": "a1 a2", "name": "g"},
        "restart-a1": {"ids": "b1"},
        "restart-b1": {"ids": "c1"},
    }
    want = {"restart-a1": ("g", ("a1",)), "restart-b1": ("g", ("b1",))}
    assert restart_sources(Store(), index, {}) == want
