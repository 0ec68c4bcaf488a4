"""Exported figures are real matplotlib files: one per study figure and per compared curve,
SVG and PNG, with axes labels, a legend, the paper's reference lines; non-finite points are
dropped (and said so); the same runs give the same SVG bytes."""

from __future__ import annotations

import math
import re

import pytest

from overfit_tui.export.compare import Comparison
from overfit_tui.export.formats import write
from overfit_tui.export.plot import draw
from overfit_tui.export.transfer import load_comparison
from overfit_tui.studies.base import Figure, Series

from ..ui.finished_store import load_into


@pytest.fixture(scope="module")
def recorded(tmp_path_factory) -> Comparison:
    from overfit_tui.core.paths import Home
    from overfit_tui.store import Store

    home = Home.resolve(tmp_path_factory.mktemp("figs") / "home")
    load_into(home)
    store = Store(home)
    return store, sorted({r["group"] for r in store.runs()})


def texts(svg: str) -> str:
    """The words of a matplotlib SVG (its text is kept as comments beside the glyph paths)."""
    return " ".join(re.findall(r"<!-- (.*?) -->", svg))


def test_one_file_per_study_figure_and_curve(recorded, tmp_path):
    store, groups = recorded
    nn = next(g for g in groups if g.startswith("double-descent-nn"))
    c = load_comparison(store, [nn])
    paths = write(c, "svg", tmp_path / "dd.svg")
    names = sorted(p.name for p in paths)
    assert names == [
        "dd-curves-test-acc.svg",
        "dd-curves-train-loss.svg",
        "dd-double-descent-nn-squared.svg",
        "dd-double-descent-nn-zero-one.svg",
    ]
    svg = (tmp_path / "dd-double-descent-nn-zero-one.svg").read_text()
    words = texts(svg)
    assert "Zero-one loss vs parameters" in words and "parameters" in words and "error" in words
    assert "n*K" in words  # the interpolation threshold, as a reference line
    assert "test" in words and "train" in words  # the legend
    assert write(load_comparison(store, [nn]), "svg", tmp_path / "again.svg")
    assert (tmp_path / "again-double-descent-nn-zero-one.svg").read_text() == svg  # deterministic


def test_png_and_a_legend_by_condition_and_model(recorded, tmp_path):
    store, groups = recorded
    rand = next(g for g in groups if g.startswith("randomization"))
    paths = write(load_comparison(store, [rand]), "png", tmp_path / "fig1.png")
    loss = tmp_path / "fig1-randomization-loss.png"
    assert loss in paths and loss.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = write(load_comparison(store, [rand]), "svg", tmp_path / "fig1.svg")
    words = texts((tmp_path / "fig1-randomization-loss.svg").read_text())
    for legend in ("true labels", "random labels", "gaussian", "mlp 1x512", "cnn1d w128"):
        assert legend in words, legend
    assert len(svg) == len(paths)


def test_non_finite_points_are_dropped_and_counted(tmp_path):
    fig = Figure(
        "risk",
        "Risk",
        "N",
        "risk",
        (Series("test", (10, 20, 30, 40), (1.0, math.inf, math.nan, 0.0)),),
        xlog=True,
        ylog=True,
        vlines=((20, "N = n"),),
    )
    words = texts(draw(fig, tmp_path / "r.svg").read_text())
    assert "3 point(s) not drawn (not finite, or ≤ 0 on a log axis)" in words and "N = n" in words


def test_seed_bands_and_n_in_the_legend(tmp_path):
    band = Series("test", (1, 2, 3), (0.5, 0.4, 0.3), lo=(0.45, 0.35, 0.2), hi=(0.55, 0.5, 0.35), n=3)
    svg = draw(
        Figure("e", "Error", "p", "error", (band, Series("train", (1, 2, 3), (0.1, 0.0, 0.0)))), tmp_path / "b.svg"
    )
    text = svg.read_text()
    assert "test (n=3)" in texts(text) and "train" in texts(text)
    assert "fill-opacity: 0.2" in text or 'fill-opacity="0.2"' in text  # the band
