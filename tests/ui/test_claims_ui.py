"""The paper's claims in the app: the pane's group line counts the verdicts and `c` shows the
claims table; the Scorecard (S) lists every study's latest group and its claims; `e` there
writes the report. On recorded real runs (no training)."""

from __future__ import annotations

import asyncio

from textual.widgets import DataTable, Static

from overfit_tui.export.scorecard import group_claims, latest_groups
from overfit_tui.ui.app import make_app

from .finished_store import load_into
from .polling import until
from .test_keys import screen_is


def test_claims_in_the_pane_and_the_scorecard(home):
    load_into(home)

    async def go():
        app = make_app(home=home.root, poll=False, preset="randomization-mnist1d")
        async with app.run_test(size=(120, 40)) as pilot:
            app.cache.set_records(app.store.runs())
            app.cache.add_events({r.id: app.store.metrics(r.id) for r in app.cache.records.values()})
            pane = app.active_pane()
            gid = pane.current_group()
            gc = group_claims(app.store, gid)
            assert gc is not None
            title = pane.query_one("#group-title", Static)
            assert await until(pilot, lambda: "claims" in str(title.render()))
            want = f"claims {gc.count('holds')}✓ {gc.count('fails')}✗ {gc.count('pending')}… (c)"
            assert want in str(title.render())  # the same verdicts as `overfit-tui claims`
            await pilot.press("c")
            view = pane.query_one("#claims-view")
            assert await until(pilot, lambda: view.display and str(view.border_title).startswith("Claims"))
            text = str(pane.query_one("#claims-text", Static).render())
            for c, _ in gc.results:  # every claim in full (wrapped, never cut), with its verdict
                assert c.text in " ".join(text.split()), c.text
            assert text.count("paper:") == len(gc.results)
            await pilot.press("c")  # again: back to the first figure
            assert await until(pilot, lambda: not view.display)
            await pilot.press("S")
            assert await until(pilot, screen_is(app, "ScorecardScreen"))
            board = app.screen.query_one("#board", DataTable)
            with_claims = [g for g in latest_groups(app.store) if group_claims(app.store, g) is not None]
            assert len(with_claims) >= 3
            assert await until(pilot, lambda: board.row_count == len(with_claims))
            await pilot.press("e")
            assert await until(pilot, lambda: any((home.root / "exports").glob("report-*/report.html")))
            await pilot.press("escape")
            assert await until(pilot, lambda: app.screen is app.screen_stack[0])

    asyncio.run(go())
