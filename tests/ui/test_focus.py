"""Tab goes where a user looks: presets -> run table -> the figure panel's table -> the tab bar
-> presets (it took ~14 presses through every form field to reach the run table); `e` enters
the form, tab cycles its fields and Run, esc comes back; every stop shows that it has focus."""

from __future__ import annotations

import asyncio

from textual.widgets import Tabs

from overfit_tui.ui.app import make_app
from overfit_tui.ui.run_table import RunTable

from .finished_store import load_into
from .polling import until


def test_tab_cycles_the_panes_stops_and_the_form_on_its_own(home):
    load_into(home)

    async def go():
        app = make_app(home=home.root, poll=False, preset="randomization-mnist1d")
        async with app.run_test(size=(140, 45)) as pilot:
            app.cache.set_records(app.store.runs())
            await pilot.pause(0.3)
            pane = app.active_pane()
            presets, runs = pane.query_one("#presets"), pane.query_one(RunTable)
            assert await until(pilot, lambda: app.focused is presets)
            await pilot.press("tab")
            assert app.focused is runs  # one press from the presets to the run table
            while pane._stops()[-1].id not in ("figure-table", "claims-view"):  # a table in the figure panel
                await pilot.press("f")
            before = pane._stops()[-1].styles.border_top
            await pilot.press("tab")
            stop = app.focused
            assert stop is pane._stops()[-1] and stop.styles.border_top != before  # focus is visible
            await pilot.press("tab")
            assert isinstance(app.focused, Tabs)
            await pilot.press("tab")
            assert app.focused is presets  # round again
            await pilot.press("shift+tab")
            assert isinstance(app.focused, Tabs)
            await pilot.press("tab", "e")
            form = pane.query_one("#form")
            fields = list(form.inputs.values())
            assert app.focused is fields[0]
            await pilot.press("tab")
            assert app.focused is fields[1]  # tab stays in the form
            await pilot.press("shift+tab", "shift+tab")
            assert app.focused is pane.query_one("#run")  # ... cycling through Run
            await pilot.press("escape")
            assert await until(pilot, lambda: app.focused is presets)

    asyncio.run(go())


def test_a_late_tab_activation_keeps_a_focus_already_in_the_pane(home):
    """The tab bar's activation message can arrive after the user (or a test) focused a widget
    of the pane: it focuses the pane's view only when focus is outside the pane (a click on the
    run table just after start-up was taken back to the presets)."""
    load_into(home)

    async def go():
        app = make_app(home=home.root, poll=False, preset="randomization-mnist1d")
        async with app.run_test(size=(120, 40)) as pilot:
            pane = app.active_pane()
            presets, runs = pane.query_one("#presets"), pane.query_one(RunTable)
            assert await until(pilot, lambda: app.focused is presets)
            runs.focus()
            assert await until(pilot, lambda: app.focused is runs)
            app.on_tabbed_content_tab_activated(None)  # late, as on a loaded machine
            await pilot.pause(0.2)
            assert app.focused is runs
            app.set_focus(None)  # focus outside the pane (nothing focused): the view takes it
            app.on_tabbed_content_tab_activated(None)
            assert await until(pilot, lambda: app.focused is presets)

    asyncio.run(go())


def test_tab_titles_fit_and_preset_names_take_one_line(home):
    """Every pane's tab is on screen at 80 and 120 columns (the bar was cut at 'Batc' with the
    active tab scrolled away), and a long preset name is cut in the middle, never wrapped."""
    from textual.widgets import OptionList

    from overfit_tui.ui.app import tab_titles

    assert tab_titles(["Double descent", "Batch norm"], 40) == ["Double descent", "Batch norm"]
    assert tab_titles(["Double descent", "Batch norm"], 20) == ["Double", "Batch"]
    assert tab_titles(["Overparameterization", "Batch norm"], 14) == ["Over…", "Batch"]

    async def go(size):
        app = make_app(home=home.root, poll=False, preset="intrinsic-dimension-widths-mnist1d")
        async with app.run_test(size=size) as pilot:
            await pilot.pause(0.5)
            tabs = list(app.query("#tabs ContentTab"))
            assert sum(t.size.width for t in tabs) <= size[0], [t.label_text for t in tabs]
            pane = app.active_pane()
            ol = pane.query_one("#presets", OptionList)
            prompts = [str(ol.get_option_at_index(i).prompt) for i in range(ol.option_count)]
            assert any("…" in p for p in prompts)  # the longest names, cut in the middle
            assert all(len(p) <= 33 for p in prompts if "[" not in p)

    for size in ((80, 30), (120, 40)):
        asyncio.run(go(size))
