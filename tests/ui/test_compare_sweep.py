"""The compare screen's metric-vs-setting view and hparams table, on recorded runs: a width
sweep's test loss against hidden units is the mean over its 3 seeds with a 95 % t band, x and
y cycle through what varies and what is reported, the table sorts, and `e` exports both."""

from __future__ import annotations

import asyncio
import csv
import math
import statistics

import pytest

from overfit_tui.core.bands import t975
from overfit_tui.core.records import RunRecord
from overfit_tui.export.compare import Comparison
from overfit_tui.export.sweep import hparams, setting_keys, sweep_figure
from overfit_tui.studies import fields_for

from .polling import until
from .test_keys import loaded, screen_is


def _width_sweep(app) -> list[RunRecord]:
    return [r for r in app.store.runs() if r.study == "double_descent_nn"]


def test_metric_against_setting_and_hparams_table(finished):
    async def go():
        app, fill = loaded(finished, preset="smoke-mnist1d")
        async with app.run_test(size=(120, 40)) as pilot:
            await fill()
            recs = _width_sweep(app)
            widths = sorted({r.spec.params["width"] for r in recs})
            assert len(recs) == 3 * len(widths)  # 3 seeds per width
            app.marked.update(r.id for r in recs)
            await pilot.press("r")
            assert await until(pilot, screen_is(app, "RunsScreen"))
            await pilot.press("c")
            assert await until(pilot, screen_is(app, "CompareScreen"))
            screen = app.screen
            await pilot.press("y")  # from the curves: the sweep view, y a test metric
            assert await until(pilot, lambda: screen.view == 1)
            fig = screen.query_one("#chart").chart.figure
            assert fig.xlabel == "params.width" and fig.key == "sweep-final_test_acc-vs-params.width"
            (s,) = fig.series
            assert list(s.x) == widths and s.n == 3
            at2 = [100 * r.summary["final_test_acc"] for r in recs if r.spec.params["width"] == widths[0]]
            mean, sd = statistics.mean(at2), statistics.stdev(at2)
            assert s.y[0] == pytest.approx(mean)
            assert (s.lo[0], s.hi[0]) == (min(at2), max(at2))  # the data; the kind is applied where drawn
            chart = screen.query_one("#chart").chart
            assert chart.band == "ci"
            _, hi, _ = s.band(chart.band)
            assert hi[0] - s.y[0] == pytest.approx(t975(2) * sd / math.sqrt(3))  # mean ± 95 % t CI
            assert "mean ± 95 % CI, n = 3" in fig.title and chart.plan.band == "mean ± 95 % CI, n = 3"
            await pilot.press("y")  # the next reported field
            assert await until(pilot, lambda: screen.y_key == "final_test_loss")
            assert screen.query_one("#chart").chart.figure.key == "sweep-final_test_loss-vs-params.width"
            await pilot.press("x")  # the other key that varies
            assert await until(pilot, lambda: screen.query_one("#chart").chart.figure.xlabel == "model.width")
            await pilot.press("b")  # band: standard error
            assert await until(pilot, lambda: screen.band_kind == "se")
            chart = screen.query_one("#chart").chart
            assert await until(pilot, lambda: chart.band == "se" and chart.plan.band.startswith("mean ± s.e."))
            s = chart.figure.series[0]
            losses = [r.summary["final_test_loss"] for r in recs if r.spec.model.width == widths[0]]
            _, hi, _ = s.band(chart.band)
            assert hi[0] - s.y[0] == pytest.approx(statistics.stdev(losses) / math.sqrt(3))

            await pilot.press("v")  # the hparams table: one row per run
            assert await until(pilot, lambda: screen.view == 2)
            table = screen.query_one("#hparams")
            assert await until(pilot, lambda: table.row_count == len(recs))
            assert not screen.query_one("#chart").display and table.display
            heads = [str(c.label) for c in table.columns.values()]
            assert heads[:5] == ["run", "name", "status", "params.width ▲", "model.width"]  # by the swept key
            assert "test loss" in heads
            col = [int(str(table.get_row_at(i)[3])) for i in range(table.row_count)]
            assert col == sorted(col) and col[0] == widths[0]
            await pilot.press("O")
            assert await until(pilot, lambda: int(str(table.get_row_at(0)[3])) == widths[-1])
            await pilot.press("o", "o", "o", "o")  # model.width, parameters, train acc, test acc: highest first
            assert await until(pilot, lambda: screen.sort_col == 7)
            assert [str(c.label) for c in table.columns.values()][7] == "test acc ▼"
            accs = [float(str(table.get_row_at(i)[7]).rstrip("%")) for i in range(table.row_count)]
            assert accs == sorted(accs, reverse=True) and accs[0] == pytest.approx(
                max(100 * r.summary["final_test_acc"] for r in recs), abs=0.05
            )
            await pilot.press("e")
            folder = finished.root / "exports"
            want = {
                "comparison-hparams.csv",
                "comparison-hparams.md",
                "comparison-sweep-final-test-loss-vs-model-width.svg",
            }
            names = lambda: {p.name for p in folder.glob("compare-*/*")}
            assert await until(pilot, lambda: want <= names() and any(n.endswith(".png") for n in names()))
        rows = list(csv.DictReader(next(folder.glob("compare-*/comparison-hparams.csv")).open()))
        assert len(rows) == len(recs)
        by_id = {r.id: r for r in recs}
        for row in rows:
            assert float(row["summary.final_test_loss"]) == pytest.approx(by_id[row["id"]].summary["final_test_loss"])
            assert int(row["params.width"]) == by_id[row["id"]].spec.params["width"]

    asyncio.run(go())


def test_sweep_lines_per_condition_and_nothing_to_sweep():
    """Runs that differ at the same x (label noise) make one line each; keys that move with x do
    not; one spec with no varying number has no x to offer."""
    base = {"params": {"width": 0, "noise": 0.0}, "model": {"width": 0}, "seeds": {"init": 0}}

    def run(i, width, noise, seed, acc):
        spec = {**base, "params": {"width": width, "noise": noise}, "model": {"width": width}, "seeds": {"init": seed}}
        return RunRecord.from_dict(
            {
                "id": f"r{i}",
                "group": "g",
                "study": "double_descent_nn",
                "label": f"H={width}",
                "spec": spec,
                "status": "finished",
                "created": 1.0,
                "started": 1.0,
                "summary": {"final_test_acc": acc},
            }
        )

    recs = [run(i, w, n, s, 0.5 + w / 100 - n + s / 100) for i, (w, n, s) in enumerate(
        (w, n, s) for w in (2, 8, 32) for n in (0.0, 0.2) for s in (0, 1, 2)
    )]  # fmt: skip
    c = Comparison(recs, {})
    assert setting_keys(recs) == ["params.noise", "params.width", "model.width"]
    field = next(f for f in fields_for(["double_descent_nn"]) if f.key == "final_test_acc")
    sw = sweep_figure(c, field, "params.width")
    assert [s.name for s in sw.figure.series] == ["noise=0", "noise=0.2"]  # not split by model.width
    assert all(s.x == (2.0, 8.0, 32.0) and s.n == 3 for s in sw.figure.series)
    assert sw.figure.series[1].y[0] == pytest.approx(100 * (0.5 + 0.02 - 0.2 + 0.01))
    assert sw.runs_used == 18 and sw.runs_left == 0
    h = hparams(c, sort=4, reverse=True)  # by params.width, widest first
    assert [row[4] for row in h.values][:6] == [32] * 6
    assert setting_keys(recs[:1]) == [] and setting_keys([recs[0], recs[1]]) == []  # seeds only: no x
