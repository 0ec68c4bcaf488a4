"""The palette's "Complexity measures on marked runs": mark runs (space), pick the action, the
table fills in a worker (a run without weights is a row saying so), `e` writes CSV and
Markdown into the home's exports folder and names them in a notification."""

from __future__ import annotations

import asyncio

from textual.widgets import DataTable

from overfit_tui.ui.app import make_app
from overfit_tui.ui.measures_screen import MeasuresScreen
from overfit_tui.ui.run_table import RunTable

from ..studies.fake_weights import give_weights
from .finished_store import load_into
from .polling import until


def test_mark_runs_measure_them_from_the_palette_and_export(home):
    load_into(home)
    app = make_app(home=home.root, poll=False, preset="smoke-mnist1d")
    store = app.store
    runs = [r for r in store.runs() if r.group.startswith("smoke-mnist1d")]
    labelled = [r for r in runs if r.spec.params["condition"] == "labels"][:3]
    for i, r in enumerate(labelled):
        give_weights(home, r, 0.05 * (i + 1))
    bare = next(r for r in runs if r not in labelled)

    async def go():
        async with app.run_test(size=(160, 48)) as pilot:
            app.cache.set_records(store.runs())
            await pilot.pause(0.3)
            await pilot.press("ctrl+p")
            await pilot.press(*"complexity measures")
            await pilot.press("enter")  # nothing marked yet: a warning, no screen
            assert await until(pilot, lambda: any("mark runs first" in str(n.message) for n in app._notifications))
            assert not isinstance(app.screen, MeasuresScreen)
            app.action_runs()
            assert await until(pilot, lambda: app.screen.query(RunTable) and app.screen.list.done)
            await pilot.press("slash", *"smoke", "enter")  # the filter: the smoke group's runs only
            table = app.screen.query_one(RunTable)
            assert await until(pilot, lambda: table.row_count == len(runs) and app.focused is table)
            for r in [*labelled, bare]:  # space on each run's row, as a user marks
                table.move_cursor(row=table.get_row_index(r.id))
                await pilot.press("space")
            assert app.marked == {r.id for r in [*labelled, bare]}
            await pilot.press("ctrl+p", *"complexity measures", "enter")
            assert await until(pilot, lambda: isinstance(app.screen, MeasuresScreen))
            first = app.screen
            await pilot.press("escape")  # left while measuring: its worker's late rows are dropped
            assert await until(pilot, lambda: not [w for w in app.workers if w.node is first and w.is_running])
            assert app.screen.__class__.__name__ == "RunsScreen" and app.return_code is None
            await pilot.press("ctrl+p")
            await pilot.press(*"complexity measures")
            await pilot.press("enter")
            assert await until(pilot, lambda: isinstance(app.screen, MeasuresScreen))
            screen = app.screen
            assert await until(pilot, lambda: screen.table is not None)
            assert screen.table.measured == 3
            rows = screen.query_one("#measure-runs", DataTable)
            assert rows.row_count == 4
            note = rows.get_row(bare.id)[-1]
            assert str(note) == "no weights"
            assert screen.query_one("#measure-taus", DataTable).row_count == 9
            await pilot.press("e")
            exports = home.root / "exports"
            assert await until(pilot, lambda: len(list(exports.glob("measures-*"))) == 2)
            assert await until(pilot, lambda: any("exported" in str(n.message) for n in app._notifications))
            md = next(exports.glob("measures-*.md")).read_text()
            assert "# Complexity measures of 4 runs (3 measured)" in md and "no weights" in md

    asyncio.run(go())
