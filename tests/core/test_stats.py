"""core/stats.py: Student's t quantiles against published tables (no scipy here)."""

from __future__ import annotations

import math

import pytest

from overfit_tui.core.stats import t_quantile, t_upper

# Student's t, 0.975 and 0.95 quantiles for df = 1..30 (any statistics textbook's table, 3 decimals)
T975 = (
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
    2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
    2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
)  # fmt: skip
T95 = (
    6.314, 2.920, 2.353, 2.132, 2.015, 1.943, 1.895, 1.860, 1.833, 1.812,
    1.796, 1.782, 1.771, 1.761, 1.753, 1.746, 1.740, 1.734, 1.729, 1.725,
    1.721, 1.717, 1.714, 1.711, 1.708, 1.706, 1.703, 1.701, 1.699, 1.697,
)  # fmt: skip


@pytest.mark.parametrize("df", range(1, 31))
def test_matches_the_tables(df):
    assert round(t_quantile(df, two_sided=True), 3) == T975[df - 1]
    assert round(t_quantile(df, two_sided=False), 3) == T95[df - 1]


def test_known_values_beyond_the_tables_tend_to_the_normal():
    assert t_quantile(2, True) == pytest.approx(4.303, abs=5e-4)
    assert t_quantile(2, False) == pytest.approx(2.920, abs=5e-4)
    assert t_quantile(60, True) == pytest.approx(2.000, abs=5e-4)
    assert t_quantile(120, False) == pytest.approx(1.658, abs=5e-4)
    assert t_quantile(100_000, True) == pytest.approx(1.960, abs=5e-4)
    assert t_quantile(100_000, False) == pytest.approx(1.645, abs=5e-4)


def test_tails_and_edges():
    assert t_upper(0.0, 5) == pytest.approx(0.5)
    assert t_upper(t_quantile(7, True), 7) == pytest.approx(0.025, abs=1e-9)
    assert t_quantile(0, True) == math.inf and t_quantile(-1, False) == math.inf
