"""Charts never raise: every figure of every study, on finished and partial recorded runs,
planned and built with plotext in linear and log y, smoothed, with a run highlighted, at
a wide and a narrow size (and built twice: plotext once rewrote its data on log axes);
plus the edge cases by hand (no points, nothing positive on a log axis, inf and nan)."""

from __future__ import annotations

import json
import math

import pytest
from textual_plotext.plot import Plot

from overfit_tui.core.records import RunRecord
from overfit_tui.export.run_data import run_data
from overfit_tui.export.style import run_styles
from overfit_tui.studies import get_study
from overfit_tui.studies.base import Figure, RunData, Series
from overfit_tui.ui.charts import METRICS, apply, curves_figure, plan

from .finished_store import FIXTURE

SIZES = ((38, 10), (90, 30))


def build(ops, size) -> str:
    plt = Plot()
    apply(plt, ops)
    plt.plotsize(*size)
    return plt.build()


def recorded() -> dict[str, list[RunData]]:
    """Group id -> its runs, from the recorded store."""
    payload = json.loads(FIXTURE.read_text())
    groups: dict[str, list[RunData]] = {}
    for item in payload["runs"]:
        rec = RunRecord.from_dict(item["record"])  # read as the store reads it, then as figures read it
        groups.setdefault(rec.group, []).append(run_data(rec, item["events"]))
    return groups


def states(runs: list[RunData]):
    """Finished, then replayed as running with the first event, then with half the events."""
    yield "finished", runs
    for name, cut in (("first event", lambda e: e[:1]), ("half", lambda e: e[: len(e) // 2])):
        yield name, [RunData(r.id, r.label, r.spec, "running", {}, cut(r.events)) for r in runs]


def every_chart(runs: list[RunData]):
    study = get_study(runs[0].spec["study"])
    by_id = run_styles(runs)
    styles = {r.label: by_id[r.id] for r in runs}
    for i in range(len(METRICS)):
        yield curves_figure(runs, i), styles
    for fig in study.figures(runs):
        yield fig, {}


@pytest.mark.parametrize("group", sorted(recorded()))
def test_every_figure_plans_and_builds(group):
    runs = recorded()[group]
    drawn = 0
    for _state, data in states(runs):
        for fig, styles in every_chart(data):
            for flip in (False, True):
                logy = fig.ylog != flip
                for size, smoothing, highlight in (
                    (SIZES[1], 0.0, None),
                    (SIZES[0], 0.0, None),
                    (SIZES[1], 0.8, data[-1].label),
                ):
                    p = plan(fig, size[0], styles, smoothing, logy, highlight)
                    if p.message:
                        assert "no points yet" in p.message and not any(s.x for s in fig.series if s.y)
                        continue
                    assert p.ops and p.points > 0
                    text = build(p.ops, size)
                    if not drawn:
                        assert text == build(p.ops, size)  # a second build from the same plan
                    drawn += 1
    assert drawn > 0


def fig(*series: Series, **kw) -> Figure:
    return Figure("k", "T", "x", "y", tuple(series), **kw)


def test_nothing_to_draw_says_why():
    assert plan(None, 80, empty_text="pick a preset").message == "pick a preset"
    assert plan(fig(), 80).message == "T: no points yet"
    assert plan(fig(Series("a", (1.0, 2.0), (math.nan, math.inf))), 80).message == "T: no points yet"


def test_log_axes_drop_what_they_cannot_show():
    p = plan(fig(Series("a", (1, 2, 3), (0.0, -1.0, 0.0))), 80, logy=True)
    assert not p.logy and p.note == "no positive values: linear y"
    build(p.ops, (60, 15))
    p = plan(fig(Series("a", (0, 1, 10), (1.0, 0.0, 2.0)), xlog=True, vlines=((0, "zero"), (5, "five"))), 80, logy=True)
    assert p.logy and p.points == 1  # (0, 1) and (1, 0) are off a log-log chart
    assert [op for op in p.ops if op[0] == "vline"] == [("vline", (5,), {"color": (110, 110, 110)})]
    build(p.ops, (60, 15))


def test_highlight_draws_one_series_in_colour_on_top():
    a, b = Series("a", (1, 2), (1.0, 2.0)), Series("b", (1, 2), (2.0, 1.0))
    p = plan(fig(a, b), 80, highlight="a")
    plots = [op for op in p.ops if op[0] == "plot"]
    assert plots[-1][2]["color"] != (110, 110, 110) and plots[0][2]["color"] == (110, 110, 110)


def test_seed_bands_are_drawn_under_the_mean():
    band = Series("a", (1, 2, 3), (0.5, 0.4, 0.3), lo=(0.4, 0.3, 0.2), hi=(0.6, 0.5, 0.4), n=3)
    p = plan(fig(band), 80)
    assert [op[0] for op in p.ops[:3]] == ["plot", "plot", "plot"]  # min, max, then the mean on top
    assert p.ops[2][1] == ([1, 2, 3], [0.5, 0.4, 0.3])
    build(p.ops, (60, 15))


def test_linear_ticks_are_round_numbers():
    """Ticks at 0, 500, 1000 steps, never plotext's 317.5; a figure's own ticks thinned to fit."""
    from overfit_tui.ui.charts import nice_ticks, plan, spread

    assert nice_ticks(0, 3000) == [0, 1000, 2000, 3000]
    assert nice_ticks(0, 1270) == [0, 500, 1000]
    assert nice_ticks(-1, 40) == [0, 10, 20, 30, 40]
    assert spread([-4, 0, 1, 2, 3, 5, 10, 20, 40], 5) == [-4, 5, 20, 40]
    fig = Figure("l", "Loss", "step", "loss", (Series("a", (0, 1270), (1.0, 0.1)),))
    ticks = next(op for op in plan(fig, 80).ops if op[0] == "xticks")[1]
    assert ticks == ([0, 500, 1000], ["0", "500", "1k"])


def test_legend_says_n_per_point_and_names_a_highlighted_run_once():
    """'fitted runs only (n=8-10)' where 8 of 10 fit at the smallest k; the highlighted run
    marked in its own entry, not listed twice; re-randomized points share one entry."""
    from overfit_tui.ui.charts import FigureChart
    from overfit_tui.ui.legend import entries, with_highlight

    fitted = Series("test, fitted runs only", (2, 4, 10), (0.05, 0.04, 0.03), n=10, ns=(8, 9, 10))
    layer = Series("fc1", (0, 5), (0.6, 0.3), lo=(0.5, 0.2), hi=(0.7, 0.4), n=3)
    rnd = Series("fc1 re-randomized", (-1,), (0.9,), points=True, like="fc1")
    names = [e[2] for e in entries(Figure("e", "E", "k", "error", (fitted, layer, rnd)), FigureChart(), {})]
    assert names == ["test, fitted runs only (n=8-10)", "fc1 (n=3)", "re-randomized (colour: as its line)"]
    runs = [
        RunData(
            f"r{s}{c}", f"{c} labels s{s}", {"params": {"c": c}, "seeds": {"init": s, "order": s, "noise": s}}, "", {}
        )
        for c in ("true", "random")
        for s in range(3)
    ]
    by_id = run_styles(runs)
    styles = {f"{c} labels": by_id[f"r0{c}"] for c in ("true", "random")}
    curves = Figure("l", "Loss", "step", "loss", tuple(Series(n, (0, 1), (1.0, 0.5), n=3) for n in styles))
    items = with_highlight(entries(curves, FigureChart(), styles), "true labels", styles)
    assert [(g, n) for g, _, n in items] == [("▶", "true labels (n=3)"), ("━━", "random labels (n=3)")]


def test_one_value_everywhere_gets_one_tick_not_half_of_it_either_side():
    """Every run at 100 % train accuracy: plotext alone padded the axis to 50-150 %."""
    flat = Figure("a", "train acc vs p", "p", "train acc (%)", (Series("mlp", (0.0, 0.5, 1.0), (100.0, 100.0, 100.0)),))
    ops = {op[0]: op[1] for op in plan(flat, 80).ops}
    lo, hi = ops["ylim"]
    assert lo < 100.0 < hi and hi - lo <= 2.0 and ops["yticks"] == ([100.0], ["100"])
    varied = Figure("a", "t", "p", "y", (Series("mlp", (0.0, 1.0), (90.0, 100.0)),))
    assert "ylim" not in {op[0] for op in plan(varied, 80).ops}


def test_a_long_y_label_gives_way_to_the_x_label():
    """plotext drops the x label where a long y label reaches it: the measure's name vanished
    under 'generalization gap (train - test acc.)' and the axes read swapped."""
    fig = Figure(
        "g", "l2 vs gap", "l2 norm ||w||", "generalization gap (train - test acc.)", (Series("a", (1, 2), (3, 4)),)
    )
    ops = {op[0]: op[1] for op in plan(fig, 52).ops}
    assert ops["xlabel"] == ("l2 norm ||w||",)
    (y,) = ops["ylabel"]
    assert y.endswith("…") and len(y) <= (52 - len("l2 norm ||w||")) // 2 - 2
    assert {op[0]: op[1] for op in plan(fig, 200).ops}["ylabel"] == (fig.ylabel,)
