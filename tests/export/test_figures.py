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
    return store, sorted({r.group for r in store.runs()})


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
    for legend in ("true labels", "random labels", "gaussian", "mlp 1x512", "cnn1d w64"):
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


def test_the_figure_states_its_band_kind_and_n(tmp_path):
    """The band is of the kind asked for (default: the settings file's, a 95 % t-interval) and
    the figure says which, with n; a series that kept no sd can only show its range, and says so."""
    from overfit_tui.studies.replicates import replicate_series

    s = replicate_series(
        "test", [((1, 2, 3), (0.5, 0.4, 0.3)), ((1, 2, 3), (0.6, 0.5, 0.2)), ((1, 2, 3), (0.4, 0.3, 0.4))]
    )
    fig = Figure("e", "Error", "p", "error", (s,))
    assert "mean ± 95 % CI, n = 3" in texts(draw(fig, tmp_path / "ci.svg").read_text())
    assert "mean ± s.d., n = 3" in texts(draw(fig, tmp_path / "sd.svg", band="sd").read_text())
    lo, hi, kind = s.band("ci")
    assert kind == "ci" and hi[0] - s.y[0] == pytest.approx(4.303 * 0.1 / 3**0.5, rel=1e-3)  # sd 0.1 at x = 1
    legacy = Series("old", (1, 2), (0.5, 0.4), lo=(0.4, 0.3), hi=(0.6, 0.5), n=3)  # no sd kept
    assert "mean, min-max, n = 3" in texts(draw(Figure("e", "E", "p", "e", (legacy,)), tmp_path / "r.svg").read_text())


def test_n_per_point_where_runs_drop_out(tmp_path):
    """A series whose points rest on different numbers of runs (those that fit at each k) says
    so: 'n=8-10', never the largest n alone."""
    from overfit_tui.studies.base import RunData
    from overfit_tui.studies.replicates import scalar_series

    runs = [RunData(f"r{k}{s}", "x", {}, "finished", {"k": k, "e": 0.1}) for k in (2, 4, 10) for s in range(10)]
    fitted = [r for r in runs if not (r.summary["k"] == 2 and r.id[-1] in "01")]  # 8 of 10 at k = 2
    s = scalar_series("test, fitted runs only", fitted, lambda r: r.summary["k"], lambda r: r.summary["e"])
    assert s.ns == (8, 10, 10) and s.n_text == "n=8-10"
    words = texts(draw(Figure("e", "Error vs k", "k", "error", (s,), xlog=True), tmp_path / "k.svg").read_text())
    assert "test, fitted runs only (n=8-10)" in words
    assert "shaded: mean ± 95 % CI, n = 8-10" in words  # the band is explained, with its seeds
    for k in ("2", "4", "10"):  # a log axis over a few k: each k is a tick, not only 10 and 100
        assert k in words.split()


def test_points_in_their_lines_colour_and_own_ticks(tmp_path):
    """Layer robustness: each layer's re-randomized point in its line's colour, one legend entry
    for them all, under its own tick label rather than at x = -1."""
    fig = Figure(
        "r",
        "Reset",
        "epoch",
        "test error",
        (
            Series("fc1", (0, 5), (0.6, 0.3)),
            Series("fc2", (0, 5), (0.5, 0.2)),
            Series("fc1 re-randomized", (-1.2,), (0.9,), points=True, like="fc1"),
            Series("fc2 re-randomized", (-0.8,), (0.88,), points=True, like="fc2"),
        ),
        xticks=((-1.0, "re-rand."), (0.0, "0"), (5.0, "5")),
    )
    svg = draw(fig, tmp_path / "r.svg").read_text()
    words = texts(svg)
    assert "re-rand." in words and "re-randomized (colour: as its line)" in words
    assert "fc1 re-randomized" not in words  # no entry per layer
    assert svg.count("#1f77b4") >= 2 and svg.count("#ff7f0e") >= 2  # each point shares its line's colour


def test_a_condition_is_one_legend_entry_with_its_n_over_models(tmp_path, monkeypatch):
    """Two models at 'corrupt p=0.8', one with a seed that stopped early: one legend entry
    'corrupt p=0.8 (n=1-3)', not one per model's n (the trial's export listed both)."""
    from overfit_tui.export import plot
    from overfit_tui.export.style import Style

    got = []
    monkeypatch.setattr(plot, "_legend", lambda f, ax, entries: got.extend(h.get_label() for h in entries))
    a = Series("mlp: corrupt p=0.8", (0, 1, 2), (1.0, 0.5, 0.4), n=3, ns=(3, 3, 1))
    b = Series("cnn: corrupt p=0.8", (0, 1, 2), (1.0, 0.6, 0.5), n=3, ns=(3, 2, 2))
    c = Series("mlp: true labels", (0, 1, 2), (1.0, 0.3, 0.1), n=3)
    styles = {
        a.name: Style((1, 2, 3), 0, "corrupt p=0.8", "mlp"),
        b.name: Style((1, 2, 3), 1, "corrupt p=0.8", "cnn"),
        c.name: Style((4, 5, 6), 0, "true labels", "mlp"),
    }
    draw(Figure("l", "Loss", "step", "loss", (a, b, c)), tmp_path / "f.svg", styles)
    assert [g for g in got if "corrupt" in g] == ["corrupt p=0.8 (n=1-3)"]
    assert "true labels (n=3)" in got and {"mlp", "cnn"} <= set(got)
