"""A figure panel's table never cuts a number at its edge: columns that do not fit are left out
whole (and said so), at 80 and 120 columns."""

from __future__ import annotations

import asyncio

import pytest
from textual.widgets import DataTable

from overfit_tui.ui.app import make_app
from overfit_tui.ui.study_pane import fitting_columns

from .finished_store import load_into
from .polling import until


def test_fitting_columns_leaves_columns_out_whole():
    rows = [["fc1", "5.8 ± 0.3", "51.2 ± 4.0"], ["fc2", "4.6 ± 4.1", "9.0 ± 0.1"]]
    assert fitting_columns(("layer", "epoch 0", "epoch 5"), rows, 0) == 3  # width not known yet: all
    assert fitting_columns(("layer", "epoch 0", "epoch 5"), rows, 7 + 11 + 12) == 3
    assert fitting_columns(("layer", "epoch 0", "epoch 5"), rows, 7 + 11 + 11) == 2
    assert fitting_columns(("layer", "epoch 0", "epoch 5"), rows, 3) == 1  # the first, always


@pytest.mark.parametrize("size", [(80, 30), (120, 40)])
def test_figure_tables_fit_their_panel(home, size):
    load_into(home)

    async def go():
        app = make_app(home=home.root, poll=False, preset="randomization-mnist1d")
        async with app.run_test(size=size) as pilot:
            app.cache.set_records(app.store.runs())
            await pilot.pause(0.3)
            pane = app.active_pane()
            while pane.has_class("-narrow") and pane.view != "charts":
                await pilot.press("v")  # the charts view
            table = pane.query_one("#figure-table", DataTable)
            for _ in range(8):  # every table among the pane's figures
                await pilot.press("f")
                await pilot.pause(0.2)
                if not table.display:
                    continue
                await until(pilot, lambda: table.columns and table.size.width > 0)
                await pilot.pause(0.2)
                used = sum(c.get_render_width(table) for c in table.columns.values())
                room = table.scrollable_content_region.width
                assert used <= room or len(table.columns) == 1, (size, table.border_title)

    asyncio.run(go())
