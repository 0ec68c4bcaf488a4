"""A heatmap figure exported with matplotlib: labels, colour bar and values in the file,
blank cells where nothing is known yet, the same file for the same figure."""

from __future__ import annotations

import pytest

from overfit_tui.export.heatmap import draw_heatmap
from overfit_tui.studies.base import Figure

FIG = Figure(
    "heatmap:m",
    "mlp: test error",
    "re-initialized to epoch",
    "layer",
    (),
    matrix=((0.9, 0.62, 0.11), (0.88, None, 0.1)),
    rows=("fc1 (10k)", "fc2 (66k)"),
    columns=("rnd", "0", "40"),
    vrange=(0.0, 1.0),
    vlabel="test error",
)


def test_svg_has_labels_values_and_colour_bar(tmp_path):
    path = draw_heatmap(FIG, tmp_path / "h.svg")
    svg = path.read_text()
    for text in ("mlp: test error", "fc1 (10k)", "fc2 (66k)", "rnd", "0.62", "0.11", "test error", "layer"):
        assert text in svg, text
    assert svg.count("0.10") >= 1 and "nan" not in svg
    again = draw_heatmap(FIG, tmp_path / "again.svg").read_text()
    assert again == svg  # deterministic
    assert draw_heatmap(FIG, tmp_path / "h.png").read_bytes()[:4] == b"\x89PNG"


def test_a_line_figure_is_refused(tmp_path):
    with pytest.raises(ValueError, match="not a heatmap"):
        draw_heatmap(Figure("x", "t", "x", "y", ()), tmp_path / "x.svg")
