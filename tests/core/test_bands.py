"""Seed bands: each kind's edges on numbers worked by hand."""

from __future__ import annotations

import math

import pytest

from overfit_tui.core.bands import band, band_title, sample_sd, t975


def test_sd_se_ci_and_range_on_three_seeds():
    values = [1.0, 2.0, 3.0]  # mean 2, sd 1, se 1/sqrt(3)
    sd = sample_sd(values)
    assert sd == pytest.approx(1.0)
    assert band(2.0, sd, 3, 1.0, 3.0, "sd") == pytest.approx((1.0, 3.0))
    assert band(2.0, sd, 3, 1.0, 3.0, "se") == pytest.approx((2 - 1 / math.sqrt(3), 2 + 1 / math.sqrt(3)))
    lo, hi = band(2.0, sd, 3, 1.0, 3.0, "ci")
    assert hi - 2.0 == pytest.approx(4.303 / math.sqrt(3), abs=5e-4)  # t(0.975, 2) = 4.303: wider than the range
    assert band(2.0, sd, 3, 0.5, 3.5, "range") == (0.5, 3.5)


def test_one_run_has_no_band_and_t_tends_to_the_normal():
    assert band(5.0, 0.0, 1, 5.0, 5.0, "ci") == (5.0, 5.0)
    assert t975(1) == pytest.approx(12.706, abs=5e-4) and t975(1000) == pytest.approx(1.962, abs=1e-3)
    assert t975(0) == math.inf


def test_an_unknown_kind_is_refused_and_the_title_states_n():
    with pytest.raises(ValueError, match="one of ci, se, sd, range"):
        band(0, 0, 3, 0, 0, "iqr")
    assert band_title("ci", "n=3") == "mean ± 95 % CI, n = 3"


def test_spread_bands_need_three_runs_at_a_point_and_the_note_counts_only_those():
    """A curve whose third seed stopped at the last step: no s.e./s.d./CI band there (two runs:
    t = 12.7 on one degree of freedom), the min-max band still; a series of two runs has none."""
    from overfit_tui.core.bands import band_note, edges
    from overfit_tui.studies.base import Series

    mean, sd, ns = (1.0, 0.8, 0.5), (0.1, 0.1, 0.3), (3, 3, 2)
    lo, hi = (0.9, 0.7, 0.3), (1.1, 0.9, 0.7)
    for kind in ("ci", "se", "sd"):
        low, up, drawn = edges(mean, sd, ns, 3, lo, hi, kind)
        assert drawn == kind and low[2] == up[2] == 0.5 and low[0] < 1.0 < up[0]
    assert edges(mean, sd, ns, 3, lo, hi, "range") == (lo, hi, "range")
    assert edges(mean, sd, (2, 2, 2), 2, lo, hi, "ci") is None
    assert band(0.5, 0.3, 2, 0.3, 0.7, "ci") == (0.5, 0.5)
    curve = Series("a", (0, 1, 2), mean, lo=lo, hi=hi, sd=sd, n=3, ns=ns)
    assert band_note([curve], "ci") == "mean ± 95 % CI, n = 3"
    assert band_note([curve], "range") == "mean, min-max, n = 2-3"
    assert band_note([Series("b", (0, 1), (1.0, 0.5), lo=lo[:2], hi=hi[:2], sd=sd[:2], n=2)], "sd") == ""


def test_a_band_never_reaches_below_zero_for_a_quantity_never_observed_below_it():
    """Three losses 0.1, 0.5, 0.9: the 95 % interval's arithmetic reaches -0.49; a loss cannot."""
    from overfit_tui.core.bands import edges

    vals = (0.1, 0.5, 0.9)
    sd = sample_sd(vals)
    assert band(0.5, sd, 3, 0.1, 0.9, "ci")[0] < 0  # the raw interval
    (low,), (up,), _ = edges((0.5,), (sd,), (), 3, (0.1,), (0.9,), "ci")
    assert low == 0.0 and up == pytest.approx(0.5 + 4.303 * sd / math.sqrt(3), abs=1e-3)
    (low,), _, _ = edges((0.5,), (sd,), (), 3, (-0.1,), (0.9,), "ci")  # a quantity that does go negative
    assert low < -0.4
