"""Pressing the chart keys on every pane, and checking every chart then drawn (the every-preset
pilot and the recorded-groups pilot share these)."""

from __future__ import annotations

from overfit_tui.ui.charts import FigureChart


def check_charts(app) -> None:
    """Render every shown chart now (as the compositor would) and fail on any caught error."""
    if app._exception is not None:
        raise app._exception
    for chart in app.screen.query(FigureChart):
        if chart.region.area:
            chart.render()
        assert not chart.failures, chart.failures


SHORT = ["f", "l", "m", "l", "s", "g"]  # every chart key
VIEWS = ["v", "f", "v", "m", "v"]  # 80 columns: form, charts, runs


async def press_all(pilot, app, keys: list[str]) -> None:
    pane = app.active_pane()
    for key in keys:
        await pilot.press(key)
        check_charts(app)
    await pilot.pause()
    check_charts(app)
    assert app.active_pane() is pane


async def each_pane(pilot, app, keys: list[str], every_group: bool = False) -> None:
    for i in range(len(app.panes)):
        await pilot.press(str(i + 1))
        pane = app.active_pane()
        for _ in app.cache.groups(pane.studies) if every_group else [None]:
            await press_all(pilot, app, keys)
            await pilot.press("g")
