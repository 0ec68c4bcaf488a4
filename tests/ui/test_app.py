"""Textual pilots pressing real keys, over tiny real CPU trainings in worker processes."""

from __future__ import annotations

import asyncio
import html

import pytest

from overfit_tui.ui.app import make_app
from overfit_tui.ui.run_table import RunTable
from overfit_tui.ui.study_pane import StudyPane

from ..conftest import TINY_TOML
from .polling import HANG, until


@pytest.fixture
def tiny_preset(home):
    """A user preset in HOME/presets: the app lists it beside the shipped ones."""
    home.presets_dir.mkdir(parents=True, exist_ok=True)
    (home.presets_dir / "tiny-ui.toml").write_text(TINY_TOML.replace('name = "tiny"', 'name = "tiny-ui"'))
    return "tiny-ui"


async def _until(pilot, pred):
    return await until(pilot, pred)  # these waits include real training: HANG is the only ceiling


def _statuses(app) -> list[str]:
    return [r.status for r in app.cache.records.values()]


@pytest.mark.timeout(1800)  # a hang guard, not a budget
def test_launch_watch_finish_and_reopen(home, tiny_preset):
    async def go():
        app = make_app(home=home.root, preset=tiny_preset)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause(0.5)
            pane = app.query_one(StudyPane)
            focused = pane.query_one("#presets")
            focused.focus()
            assert await _until(pilot, lambda: app.focused is focused)  # before any key reaches it
            await pilot.press("enter")  # launch the highlighted preset
            assert await _until(pilot, lambda: len(app.cache.records) == 2)
            seen = set()

            def progressed():
                seen.update(_statuses(app))
                return set(_statuses(app)) == {"finished"}

            assert await _until(pilot, progressed)
            assert "queued" in seen or "running" in seen
            assert await _until(pilot, lambda: pane.query_one("#curves").chart.points_drawn > 0)  # it got points
            table = pane.query_one(RunTable)
            assert table.row_count == 2
            await pilot.press("question_mark")
            assert await _until(pilot, lambda: app.screen.__class__.__name__ == "HelpScreen")
            await pilot.press("escape")
            await pilot.press("q")  # nothing running: quits at once
        # reopen on the same store: the finished runs are there with their curves
        app2 = make_app(home=home.root, preset=tiny_preset)
        async with app2.run_test(size=(80, 24)) as pilot:
            assert await _until(pilot, lambda: len(app2.cache.records) == 2 and app2.cache.events)
            pane = app2.query_one(StudyPane)
            assert await _until(pilot, lambda: pane.query_one(RunTable).row_count == 2)
            assert set(_statuses(app2)) == {"finished"}

    asyncio.run(go())


@pytest.mark.timeout(1800)  # a hang guard, not a budget
def test_cancel_run_from_table_and_quit_dialog(home, tiny_preset, monkeypatch):
    async def go():
        app = make_app(home=home.root, preset=tiny_preset)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause(0.5)
            pane = app.query_one(StudyPane)
            form = pane.query_one("#form")
            form.inputs["train.epochs"].value = "100000"
            form.inputs["train.lr"].value = "1e-6"  # nothing fits: both runs stay running until cancelled
            pane.launch()
            assert await _until(pilot, lambda: "running" in _statuses(app))
            table = pane.query_one(RunTable)
            table.focus()
            assert await _until(pilot, lambda: app.focused is table)  # before any key reaches it
            await _until(pilot, lambda: table.row_count == 2)
            await pilot.press("x")  # cancel the run under the cursor
            first = table.current_id()
            assert await _until(pilot, lambda: app.cache.records[first].status == "cancelled")
            await pilot.press("R")  # restart the cancelled run from its spec
            assert await _until(pilot, lambda: any(r.group.startswith("restart-") for r in app.cache.records.values()))
            await pilot.press("q")  # runs still active: the app asks
            assert await _until(pilot, lambda: app.screen.__class__.__name__ == "ConfirmScreen")
            await pilot.click("#stop")
            await pilot.pause(0.3)
        from overfit_tui.runs.launcher import wait
        from overfit_tui.store import Store

        store = Store(home)
        first_group = min(app.cache.records.values(), key=lambda r: r.created).group
        runs = wait(store, first_group, timeout=HANG)
        assert sorted(r.status for r in runs) == ["cancelled", "cancelled"]
        restarted = [r for r in store.runs() if r.group.startswith("restart-")]
        assert len(restarted) == 1 and restarted[0].spec_hash == store.get_run(first).spec_hash

    asyncio.run(go())


def test_bad_form_value_is_shown_inline(home, tiny_preset):
    async def go():
        app = make_app(home=home.root, preset=tiny_preset, poll=False)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause(0.3)
            form = app.query_one(StudyPane).query_one("#form")
            form.inputs["train.lr"].focus()  # as a user editing it: the field scrolls into view
            form.inputs["train.lr"].value = '"fast"'
            shown = lambda: '"fast"' in html.unescape(app.export_screenshot()).replace("\xa0", " ")
            assert await until(pilot, lambda: form.errors["train.lr"].display and shown())  # on screen, not a pause
            assert form.group() is None
            assert "expected a number" in str(form.errors["train.lr"].render())  # under its field
            assert form.inputs["train.lr"].has_class("-invalid")
            assert form.inputs["train.lr"].value == '"fast"'  # what was typed stays
            assert form.inputs["train.lr"].region.height == 1

    asyncio.run(go())


def test_compare_screen_exports_selected_runs(home, tiny_preset):
    from overfit_tui.runs.launcher import launch, wait
    from overfit_tui.store import Store
    from overfit_tui.studies.groups import load_group

    store = Store(home)
    group, p = load_group(tiny_preset, extra=home.presets_dir)
    gid, _ = launch(store, group, p.name, str(p.path), ["cpu"])
    wait(store, gid, HANG)

    async def go():
        app = make_app(home=home.root, preset=tiny_preset)
        async with app.run_test(size=(120, 40)) as pilot:
            assert await _until(pilot, lambda: len(app.cache.records) == 2 and len(app.cache.events) == 2)
            await pilot.press("r")
            assert await _until(pilot, lambda: app.screen.__class__.__name__ == "RunsScreen")
            await pilot.press("space", "down", "space", "c")
            assert await _until(pilot, lambda: app.screen.__class__.__name__ == "CompareScreen")
            await pilot.press("e")
            assert await _until(pilot, lambda: {p.suffix for p in _exported(home)} >= EXPORTED)  # written off the loop
        exports = _exported(home)
        assert {p.suffix for p in exports} == EXPORTED
        figures = [p for p in exports if p.suffix == ".svg"]
        assert figures and all(p.name.startswith("comparison-") for p in figures)  # one file per figure
        md = next(p for p in exports if p.suffix == ".md").read_text()
        assert all(r.id in md for r in store.runs(gid))

    asyncio.run(go())


EXPORTED = {".csv", ".json", ".md", ".svg", ".png"}  # what the compare screen's `e` writes


def _exported(home) -> list:
    return list((home.root / "exports").glob("compare-*/comparison*"))


def test_missing_dataset_asks_before_downloading(home, tmp_path):
    async def go():
        app = make_app(home=home.root, data_dir=tmp_path / "no-data", preset="randomization-cifar10-mlp", poll=False)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause(0.3)
            app.active_pane().launch()
            assert await _until(pilot, lambda: app.screen.__class__.__name__ == "ConfirmScreen")
            await pilot.press("escape")  # cancel: nothing is launched or downloaded
            await pilot.pause(0.3)
            assert app.store.runs() == []
            assert not (tmp_path / "no-data").exists()

    asyncio.run(go())
