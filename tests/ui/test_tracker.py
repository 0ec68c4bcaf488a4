"""What a run tracker owes a researcher, in the app: seed bands of the kind papers report (with
n), a query over specs and results in the Runs screen, view settings that survive a restart,
and alerts when a run ends. On recorded real runs (no training)."""

from __future__ import annotations

import asyncio

from textual.widgets import Input, Static

from overfit_tui.core.records import RunRecord
from overfit_tui.core.status import Status
from overfit_tui.runs.feed import FeedBatch
from overfit_tui.store import Store
from overfit_tui.ui.app import make_app
from overfit_tui.ui.charts import ChartPanel
from overfit_tui.ui.legend import Legend
from overfit_tui.ui.messages import StoreChanged
from overfit_tui.ui.run_table import RunTable
from overfit_tui.ui.view_settings import view_settings

from .finished_store import load_into
from .polling import until

SMOKE = "smoke-mnist1d-1207-132303-a4475828"  # 4 conditions x 3 seeds in the recorded store


def _load(app) -> None:
    app.cache.set_records(app.store.runs())
    app.cache.add_events({r.id: app.store.metrics(r.id) for r in app.cache.records.values()})


def _legend(pane) -> str:
    return str(pane.query_one("#curves", ChartPanel).query_one(Legend).render())


def test_band_kinds_cycle_with_n_in_the_legend(home):
    load_into(home)

    async def go():
        app = make_app(home=home.root, poll=False, preset="smoke-mnist1d")
        async with app.run_test(size=(120, 40)) as pilot:
            _load(app)
            pane = app.active_pane()
            pane.show_group(SMOKE)
            # some seeds fit (and stopped) sooner: the late steps rest on 2 runs, and the legend says so;
            # the 95 % interval is drawn only where 3 runs are (core/bands.py MIN_SPREAD_N)
            assert await until(pilot, lambda: "band: mean ± 95 % CI, n = 3" in _legend(pane))
            assert "corrupt p=0.5 (n=3)" in _legend(pane) and "true labels (n=2-3)" in _legend(pane)
            chart = pane.query_one("#curves", ChartPanel).chart
            ci = [op for op in chart.plan.ops if op[0] == "plot"]
            for want in ("mean ± s.e., n = 3", "mean ± s.d., n = 3", "mean, min-max, n = 2-3", "mean ± 95 % CI, n = 3"):
                await pilot.press("b")
                assert await until(pilot, lambda w=want: f"band: {w}" in _legend(pane)), _legend(pane)
                if want.startswith("mean ± s.e."):  # a narrower band than the 95 % interval (t = 4.30 at n = 3)
                    se = [op for op in chart.plan.ops if op[0] == "plot"]
                    assert len(se) == len(ci) and se != ci
                    width = lambda ops: sum(abs(a - b) for a, b in zip(ops[1][1][1], ops[0][1][1]))
                    assert width(se) < width(ci) / 3

    asyncio.run(go())


def test_runs_filter_takes_fields_ranges_and_says_did_you_mean(home):
    load_into(home)
    runs = {r.id: r for r in Store(home).runs()}

    async def go():
        app = make_app(home=home.root, poll=False, preset="smoke-mnist1d")
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("r")
            assert await until(pilot, lambda: type(app.screen).__name__ == "RunsScreen")
            table, hint = app.screen.query_one(RunTable), app.screen.query_one("#hint", Static)
            assert await until(pilot, lambda: app.screen.list.done and table.row_count == min(len(runs), 200))
            box = app.screen.query_one("#filter", Input)
            box.focus()
            assert await until(pilot, lambda: app.focused is box)

            def shown() -> set[str]:
                return {k.value for k in table.rows}

            await pilot.press(*"params.p>=0.5 final_test_acc<0.2 mlp")
            want = {
                i
                for i, r in runs.items()
                if r.spec.params.get("p", -1) >= 0.5
                and r.summary.get("final_test_acc", 1) < 0.2
                and "mlp" in r.label + r.spec.model.name
            }
            assert len(want) >= 5
            assert await until(pilot, lambda: shown() == want), (len(shown()), len(want))
            assert "runs" in str(hint.render())
            await pilot.press("ctrl+u", *"train.lrr>=0.01 pixels")  # a misspelt field: the words still filter
            assert await until(pilot, lambda: "did you mean 'train.lr'?" in str(hint.render()))
            assert "\n" not in str(hint.render())
            assert await until(pilot, lambda: shown() and all("pixels" in runs[i].label for i in shown()))
            await pilot.press("ctrl+u", *"status:finished tag:paper")  # no run is tagged: none shown
            assert await until(pilot, lambda: not shown() and "0 runs" in str(hint.render()))

    asyncio.run(go())


def test_typing_a_filter_filters_once_after_the_last_key(home, monkeypatch):
    """Each key of a query typed into the Runs screen's filter does no filtering (each pass
    filters every loaded run and refills the table); the filter applies once the typing stops
    (FILTER_S later: here an hour, so that no pass can slip in between two keys)."""
    from overfit_tui.ui import runs_screen

    load_into(home)
    monkeypatch.setattr(runs_screen, "FILTER_S", 3600.0)

    async def go():
        app = make_app(home=home.root, poll=False, preset="smoke-mnist1d")
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("r")
            assert await until(pilot, lambda: type(app.screen).__name__ == "RunsScreen")
            screen = app.screen
            assert await until(pilot, lambda: screen.list.done)
            passes = []
            original = screen.redraw
            monkeypatch.setattr(screen, "redraw", lambda: passes.append(1) or original())
            box = screen.query_one("#filter", Input)
            box.focus()
            assert await until(pilot, lambda: app.focused is box)
            await pilot.press(*"final_test_acc<0.2 mlp")
            assert box.value == "final_test_acc<0.2 mlp" and screen.query_text == box.value
            assert passes == []  # 22 keys, no pass
            monkeypatch.setattr(runs_screen, "FILTER_S", 0.01)
            await pilot.press("space")  # the last key: its pass is due now, the others were dropped
            assert await until(pilot, lambda: passes == [1])
            await pilot.pause(0.2)
            assert passes == [1]

    asyncio.run(go())


def test_view_settings_survive_a_restart_and_a_corrupt_file_is_set_aside(home):
    load_into(home)

    async def first():
        app = make_app(home=home.root, poll=False, preset="smoke-mnist1d")
        async with app.run_test(size=(120, 40)) as pilot:
            _load(app)
            pane = app.active_pane()
            pane.show_group(SMOKE)
            pane.query_one("#runs", RunTable).focus()
            await pilot.press("m", "m", "s", "l", "b", "b")  # test accuracy, smoothed, log y, s.d. bands
            assert await until(pilot, lambda: pane.band == "sd" and pane.flip_log)
            await pilot.press("o")
            assert await until(pilot, lambda: type(app.screen).__name__ == "ColumnScreen")
            await pilot.press("space", "enter")  # the first column (status) hidden
            table = pane.query_one("#runs", RunTable)
            assert await until(
                pilot, lambda: table.hidden == {"status"} and "status" not in [c.key for c in table.shown]
            )
            return pane.pane_name

    async def second(name: str):
        app = make_app(home=home.root, poll=False, preset="smoke-mnist1d")
        async with app.run_test(size=(120, 40)) as pilot:
            _load(app)
            pane = app.active_pane()
            assert pane.pane_name == name
            assert (pane.metric, pane.smoothing, pane.flip_log, pane.band) == (2, 0.8, True, "sd")
            pane.show_group(SMOKE)
            table = pane.query_one("#runs", RunTable)
            assert await until(pilot, lambda: table.shown and "status" not in [c.key for c in table.shown])
            chart = pane.query_one("#curves", ChartPanel).chart
            assert await until(pilot, lambda: chart.figure is not None and chart.figure.key == "test_acc")
            assert "band: mean ± s.d." in _legend(pane)

    async def corrupt():
        app = make_app(home=home.root, poll=False, preset="smoke-mnist1d")
        async with app.run_test(size=(120, 40)) as pilot:
            pane = app.active_pane()
            assert (pane.metric, pane.smoothing, pane.band) == (0, 0.0, "ci")  # the defaults
            warning = view_settings(app).warning  # shown once as a notification (gone after its timeout)
            assert warning.startswith("view settings") and "not JSON" in warning and "view.json.corrupt" in warning
            assert "\n" not in warning
            await pilot.press("l")  # the settings work again: the next change is saved afresh
            assert await until(pilot, lambda: '"flip_log": true' in (home.root / "view.json").read_text())

    name = asyncio.run(first())
    assert '"band": "sd"' in (home.root / "view.json").read_text()
    asyncio.run(second(name))
    (home.root / "view.json").write_text('{"panes": {"x": [1, 2')
    asyncio.run(corrupt())
    assert (home.root / "view.json.corrupt").is_file()


def test_a_run_that_ends_raises_a_notification_and_the_bell(home, tmp_path, monkeypatch):
    load_into(home)
    (tmp_path / "config.toml").write_text("bell = true\n")
    monkeypatch.setenv("OVERFIT_TUI_CONFIG", str(tmp_path / "config.toml"))
    recs = [r for r in Store(home).runs() if r.group == SMOKE]
    a, b = recs[0].id, recs[1].id

    def with_status(**by_id) -> list[RunRecord]:  # the feed hands the cache typed records
        return [r.replace(status=Status(by_id.get(r.id, r.status))) for r in recs]

    async def go():
        app = make_app(home=home.root, poll=False, preset="smoke-mnist1d")
        rings = []
        app.bell = lambda: rings.append(1)
        async with app.run_test(size=(120, 40)) as pilot:
            notes = lambda: [(str(n.message), n.severity) for n in app._notifications]
            app.post_message(StoreChanged(FeedBatch(groups={SMOKE: with_status(**{a: "running", b: "running"})})))
            assert await until(pilot, lambda: a in app.cache.records and app.cache.records[a].status == "running")
            assert not [m for m, _ in notes() if m.startswith("run ")] and not rings  # the first look is no news
            app.post_message(StoreChanged(FeedBatch(groups={SMOKE: with_status(**{a: "finished", b: "failed"})})))
            assert await until(pilot, lambda: len([m for m, _ in notes() if m.startswith("run ")]) == 2)
            said = dict(notes())
            assert said[f"run {a} ({recs[0].label}) finished"] == "information"
            assert said[f"run {b} ({recs[1].label}) failed"] == "error"
            assert rings  # bell = true in the settings file

    asyncio.run(go())


def test_a_quiet_running_run_is_said_to_stall_once():
    from overfit_tui.ui.alerts import AppAlerts

    class Cache:
        rec = {"id": "r1", "group": "g", "study": "randomization", "label": "mlp s0", "status": "running"}
        records = {"r1": RunRecord.from_dict({**rec, "spec": {}, "created": 990.0, "started": 1000.0})}
        events = {"r1": [{"kind": "step", "wall": 5.0}]}

        def family_runs(self, gid):
            return [], set()

    watcher, cache = AppAlerts(), Cache()
    assert watcher.news(cache, now=1100.0) == []  # logged 95 s ago: not quiet yet
    news = watcher.news(cache, now=1005.0 + 601)
    assert [(n.kind, n.severity) for n in news] == [("stalled", "warning")] and "10 min" in news[0].text
    assert watcher.news(cache, now=1005.0 + 700) == []  # said once


def test_the_settings_file_theme_is_applied_and_a_wrong_one_named(home, tmp_path, monkeypatch):
    cfg = tmp_path / "config.toml"
    monkeypatch.setenv("OVERFIT_TUI_CONFIG", str(cfg))

    async def go(theme: str):
        cfg.write_text(f'theme = "{theme}"\n')
        app = make_app(home=home.root, poll=False)
        said = []
        app.notify = lambda message, **kw: said.append(str(message))  # a toast may time out before it is read
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            return app.theme, said

    theme, _ = asyncio.run(go("nord"))
    assert theme == "nord"
    theme, notes = asyncio.run(go("nrod"))
    assert theme != "nrod" and any("theme 'nrod' is not a theme (did you mean 'nord'?)" in m for m in notes)
