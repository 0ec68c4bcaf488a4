"""The app over a store of many runs: it starts with the index and the group on screen only,
the Runs screen loads every row in the background and shows them a page at a time, and a
comparison or a run's detail loads what it needs on demand."""

from __future__ import annotations

import asyncio
import json

from overfit_tui.ui.app import make_app
from overfit_tui.ui.run_table import RunTable

from ..fault.conftest import group_record, run_record
from .polling import until

GROUPS, PER = 30, 15


def _store_of_many(store) -> list[str]:
    gids = []
    for g in range(GROUPS):
        gid = f"many-0101-000000-{g:08d}"
        created = 1_700_000_000.0 + g
        recs = [run_record(f"m{g:02d}-{k:02d}", group=gid, index=k, created=created) for k in range(PER)]
        store.add_group({**group_record(gid), "created": created}, recs)
        for r in recs[:2]:
            path = store.metrics_path(r["id"])
            path.parent.mkdir(parents=True)
            path.write_text(
                "".join(json.dumps({"kind": "step", "step": s, "train_loss": 1 / (s + 1)}) + "\n" for s in range(50))
            )
        gids.append(gid)
    return gids


async def _until(pilot, pred) -> bool:
    return await until(pilot, pred)


def test_start_runs_screen_pages_compare_and_detail_of_a_store_of_many_runs(home, store):
    gids = _store_of_many(store)

    async def go():
        app = make_app(home=home.root)
        async with app.run_test(size=(140, 40)) as pilot:
            assert await _until(pilot, lambda: app.cache.loaded(gids[-1]))  # the newest group, on screen
            await pilot.pause(0.5)
            assert set(app.cache.records) == {f"m{GROUPS - 1:02d}-{k:02d}" for k in range(PER)}  # nothing else
            assert len(app.cache.index) == GROUPS
            await pilot.press("r")
            screen = app.screen
            assert await _until(pilot, lambda: screen.list.done and len(screen.list.rows) == GROUPS * PER)
            table = screen.query_one(RunTable)
            assert table.row_count == 200 and "rows 1-200 of 450" in str(screen.query_one("#hint").render())
            await pilot.press("right_square_bracket", "right_square_bracket")
            assert table.row_count == 50 and table.current_id() is not None
            assert "rows 401-450" in str(screen.query_one("#hint").render())
            for _ in range(3):
                await pilot.press("space", "down")
            await pilot.press("c")  # three old runs: their records and curves are read for the comparison
            assert await _until(pilot, lambda: app.screen.__class__.__name__ == "CompareScreen")
            assert len(app.screen.comparison().records) == 3
            await pilot.press("escape")
            await pilot.pause(0.2)
            rid = table.current_id()
            assert rid not in app.cache.records
            await pilot.press("enter")  # the detail of a run whose group is not loaded yet
            assert await _until(pilot, lambda: app.screen.__class__.__name__ == "RunDetailScreen")
            assert app.screen.run_id == rid

    asyncio.run(go())
