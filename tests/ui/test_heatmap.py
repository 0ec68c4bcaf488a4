"""The terminal heatmap: coloured cells on the viridis scale, a dot for a cell not known yet,
numbers only on demand, rows and columns labelled, a colour bar with the range and label; the
chart widget draws it instead of a plotext plot."""

from __future__ import annotations

from rich.style import Style

from overfit_tui.studies.base import Figure
from overfit_tui.ui.heatmap import VIRIDIS, fmt, ramp, render_heatmap, short, value_range

FIG = Figure(
    "heatmap:m",
    "m: test error with one layer reset",
    "epoch",
    "layer",
    (),
    matrix=((0.9, 0.5, 0.1), (0.85, None, None)),
    rows=("fc1 (10k)", "fc2 (66k)"),
    columns=("rnd", "0", "40"),
    vrange=(0.0, 1.0),
    vlabel="test error",
)


def _bg(text, needle):
    """Background colours of the spans covering the line that starts with `needle`."""
    plain = text.plain
    start = plain.index(needle)
    end = plain.index("\n", start)
    spans = [s for s in text.spans if start <= s.start < end and isinstance(s.style, Style) and s.style.bgcolor]
    return [s.style.bgcolor.triplet.hex for s in spans]


def test_cells_are_coloured_by_value_and_unknown_cells_are_dots():
    t = render_heatmap(FIG, width=60)
    lines = t.plain.splitlines()
    assert lines[0] == FIG.title and "layer" in lines[1] and "epoch" in lines[1]
    assert "rnd" in lines[2] and "40" in lines[2]
    assert lines[3].startswith("fc1 (10k) ") and lines[4].startswith("fc2 (66k) ")
    first = _bg(t, "fc1 (10k)")
    assert first == ["#" + "".join(f"{c:02x}" for c in ramp(v)) for v in (0.9, 0.5, 0.1)]
    assert first[0] != first[2]
    assert len(_bg(t, "fc2 (66k)")) == 1 and lines[4].count("·") == 2  # filling in live
    assert "0.90" not in t.plain  # numbers only on demand
    assert "0.00" in lines[-2] and "1.00" in lines[-2] and "test error" in lines[-2]
    assert lines[-1].strip() == "n: show the numbers"
    assert all(len(line) <= 60 for line in lines)
    narrow = render_heatmap(FIG, width=30).plain.splitlines()
    assert len(narrow) == 8 and narrow[-2].strip() == "test error"  # the scale's label on a line of its own


def test_numbers_on_demand_and_the_scale_ends():
    t = render_heatmap(FIG, width=60, numbers=True)
    assert "0.90" in t.plain and "0.10" in t.plain and "n: hide the numbers" in t.plain
    narrow = render_heatmap(FIG, width=24, numbers=True).plain  # 3-wide cells: ".90"
    assert ".90" in narrow and "0.90" not in narrow
    tall = render_heatmap(FIG, width=60, height=20).plain.splitlines()
    assert len(tall) == 5 + 2 * 3 and tall[3].strip() == "" and tall[4].startswith("fc1")  # rows of 3 lines
    assert ramp(0.0) == VIRIDIS[0] and ramp(1.0) == VIRIDIS[-1] and ramp(2.0) == VIRIDIS[-1]


def test_the_chart_widget_draws_a_heatmap_figure():
    from overfit_tui.ui.charts import FigureChart

    chart = FigureChart()
    chart.figure = FIG
    assert render_heatmap(FIG, 0).plain.splitlines()[0] == chart.render().plain.splitlines()[0]


def test_no_number_is_cut_at_any_width():
    """The colour bar's ends and every cell's number are whole (rounded to fit, or the column
    left out whole and said so), never '1.' or '51.' at the panel's edge."""
    wide = Figure(
        "h",
        "t",
        "x",
        "y",
        (),
        matrix=((51.234, 5.8, 0.5, 12.0, 7.7, 3.3),),
        rows=("layer one",),
        columns=tuple(f"epoch {i}" for i in range(6)),
        vlabel="test error (%)",
    )
    for fig in (FIG, wide):
        for width in (24, 30, 40, 60, 80, 120):
            for numbers in (False, True):
                text = render_heatmap(fig, width, numbers).plain
                lo, hi = value_range(fig)
                assert fmt(lo, lo, hi) in text and fmt(hi, lo, hi) in text, (width, text)
                assert all(len(line) <= width for line in text.splitlines())
                if numbers:
                    shown = [c for c in fig.columns if c in text.splitlines()[2]]
                    for v in fig.matrix[0][: len(shown)]:
                        if v is not None:
                            assert short(v, lo, hi, 9).replace("0.", ".", 1) in text, (v, width, text)
                    if len(shown) < len(fig.columns):
                        assert f"+{len(fig.columns) - len(shown)} →" in text  # said, not cut
