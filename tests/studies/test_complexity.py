"""Complexity study: a real tiny sweep through execute, the rank statistics (tau-b against
scipy, Jiang's granulated tau by hand), and the figures and tables from stored runs."""

from __future__ import annotations

import math
import random

import pytest

from overfit_tui.studies import get_study
from overfit_tui.studies.base import RunData
from overfit_tui.studies.complexity.fields import MEASURE_KEYS
from overfit_tui.studies.complexity.rank import _perms, blocks, granulated, kendall_tau_b, null_band, psi, psi_null
from overfit_tui.studies.groups import group_from_dict, load_group
from tests.studies.collect import Collect


def test_a_tiny_sweep_trains_to_the_criterion_and_measures_each_net(tmp_path):
    group = group_from_dict(
        {
            "study": "complexity",
            "data": {"name": "mnist1d", "n_train": 100, "n_test": 200},
            "models": [{"name": "mlp", "depth": 1}],
            "train": {"optimizer": "adam", "lr": 0.01, "batch_size": 50, "epochs": 400, "target_train_acc": 0.99},
            "seeds": [0],
            "params": {"corruption": [0.0, 1.0], "widths": [32, 128], "sharp_draws": 2},
        }
    )
    st = get_study("complexity")
    runs = st.expand(group)
    assert [r.label for r in runs] == ["w32 n100 p=0", "w32 n100 p=1", "w128 n100 p=0", "w128 n100 p=1"]
    assert sorted(map(len, st.jobs(runs))) == [2, 2]  # one stacked job per width
    ctx = Collect(data_dir=tmp_path, cache_dir=tmp_path)
    for job in st.jobs(runs):
        sub = Collect(data_dir=tmp_path, cache_dir=tmp_path)
        st.execute([runs[i] for i in job], sub)
        ctx.done.update({job[k]: v for k, v in sub.done.items()})
    for i, run in enumerate(runs):
        status, s = ctx.done[i]
        w = run.params.width
        assert status == "finished" and s["fitted"], (run.label, s)
        assert s["final_train_acc"] >= 0.99
        assert s["n_params"] == 40 * w + w + w * 10 + 10  # MNIST-1D: 40 inputs, 10 classes
        assert s["gap"] == pytest.approx(s["final_train_acc"] - s["final_test_acc"])
        assert s["margin"] > 0  # at <= 1 % train error the 5th-percentile margin is positive
        assert 1e-5 < s["sigma_prime"] < 10.0
        assert s["dist_init"] > 0 and s["l2_norm"] > 0
        assert all(isinstance(s[k], (int, float)) and math.isfinite(s[k]) for k in MEASURE_KEYS), s
    gaps = {runs[i].params.p: ctx.done[i][1]["gap"] for i in (0, 1)}
    assert gaps[1.0] > gaps[0.0] + 0.05  # random labels fitted, test at chance (100 true samples give ~22 %)


def test_kendall_tau_b_matches_scipy_with_ties():
    scipy_stats = pytest.importorskip("scipy.stats")
    rng = random.Random(0)
    for n in (2, 5, 13, 40):
        xs = [rng.randint(0, 4) for _ in range(n)]
        ys = [rng.randint(0, 6) + 0.5 * x for x in xs]
        want = scipy_stats.kendalltau(xs, ys).statistic
        got = kendall_tau_b(xs, ys)
        assert (got is None and math.isnan(want)) or got == pytest.approx(want)
    assert kendall_tau_b([1, 2, 3], [3, 2, 1]) == -1.0
    assert kendall_tau_b([1, 1, 1], [1, 2, 3]) is None  # nothing to rank


def _row(p, w, seed, m, g):
    return ({"p": p, "width": w, "n_train": 100, "seed": seed}, m, g)


def test_granulated_tau_by_hand():
    # seed 0: the measure ranks the gap over p (tau +1 in both width groups) and against it over width
    rows = [
        _row(0.0, 8, 0, 1.0, 0.1),
        _row(1.0, 8, 0, 2.0, 0.9),
        _row(0.0, 16, 0, 3.0, 0.0),
        _row(1.0, 16, 0, 4.0, 0.8),
    ]
    g = granulated(rows, ("p", "width", "n_train"))
    assert g["p"] == 1.0  # groups (w8), (w16): tau +1 each
    assert g["width"] == -1.0  # groups (p0), (p1): the measure rises with width, the gap falls
    assert "n_train" not in g  # not swept
    assert g["all"] == 0.0
    # a constant measure within a group where the gap moves ranks nothing: tau 0 there
    flat = [_row(0.0, 8, 0, 5.0, 0.1), _row(1.0, 8, 0, 5.0, 0.9)]
    assert granulated(flat, ("p",))["p"] == 0.0


def test_null_band_is_the_permutation_quantile():
    rng = random.Random(1)
    rows = [_row(0.0, 8, s, rng.random(), rng.random()) for s in range(30)]
    tau = lambda rs: kendall_tau_b([m for _, m, _ in rs], [g for _, _, g in rs])
    band = null_band(rows, tau, None, draws=400, seed=2)
    assert 0.15 < band < 0.4  # the 95 % quantile of tau under H0 at n = 30 is ~ 1.645 * 0.129 = 0.21
    assert null_band(rows, tau, None, 400, 2) == band  # seeded


def test_psi_null_is_psi_over_the_permutations_to_the_last_bit():
    """psi_null computes every permutation's Psi at once (numpy); each draw must equal `psi`'s
    own loop exactly (ties in the measure and the gap, a constant block, a hyperparameter absent)."""
    rng = random.Random(3)
    rows = [
        _row(p, w, s, round(rng.random(), 1), round(rng.random(), 1))  # rounded: ties on both sides
        for p in (0.0, 0.5, 1.0)
        for w in (8, 16)
        for s in range(3)
    ]
    rows += [_row(0.0, 32, 0, 5.0, 0.3), _row(1.0, 32, 0, 5.0, 0.3)]  # constant measure and gap
    hyper = ("p", "width", "n_train")
    groups, ms = blocks(rows, hyper), [m for _, m, _ in rows]
    for key in ("all", "p", "width", "n_train"):
        for within in (None, lambda hp: hp["width"]):
            perms = list(_perms(rows, within, 300, 7))
            want = sorted(v for v in (psi(groups, ms, g).get(key) for g in perms) if v is not None)
            got = psi_null(rows, hyper, key, 300, 7, within=within)
            assert got == (want[math.ceil(0.95 * len(want)) - 1] if want else None), key


def _run(i, p, w, seed, gap, fitted=True, **measures):
    spec = {"params": {"p": p, "width": w, "n_train": 1000}, "seeds": {"init": seed, "order": seed, "noise": seed}}
    s = {"fitted": fitted, "gap": gap, "final_train_acc": 0.99, **measures}
    return RunData(f"r{i}", f"w{w} p={p:g} s{seed}", spec, "finished", s)


def test_figures_and_tables_rank_only_fitted_runs():
    st = get_study("complexity")
    runs = []
    for i, (p, w, s) in enumerate((p, w, s) for p in (0.0, 1.0) for w in (64, 256) for s in (0, 1, 2)):
        gap = 0.55 + 0.35 * p - 0.02 * (w == 256) + 0.01 * s
        runs.append(_run(i, p, w, s, gap, n_params=w * 51 + 10, log_sharpness=2.0 + gap, l2_norm=20.0))
    runs.append(_run(99, 1.0, 64, 3, 0.5, fitted=False, n_params=3274, log_sharpness=0.0))
    figs = {f.key: f for f in st.figures(runs)}
    scatter = figs["gap-log_sharpness"]
    assert [s.name for s in scatter.series] == ["p=0", "p=1"] and all(s.points for s in scatter.series)
    assert sum(len(s.x) for s in scatter.series) == 12  # the unfitted run is left out
    assert "tau +1.00" in scatter.title
    table = st.tables(runs)[0]
    assert "1 never reached it" in table.title
    rows = {r[0]: r for r in table.rows}
    cols = table.columns
    assert rows["log10 1/sigma'^2"][cols.index("tau")] == "+1.000"
    assert rows["params"][cols.index("psi p")] == "+0.000"  # one architecture: the count ranks nothing
    assert rows["l2 norm ||w||"][cols.index("tau")] == "-"  # constant: no ranking


def test_the_shipped_presets_expand():
    st = get_study("complexity")
    group, _ = load_group("complexity-mnist1d")
    runs = st.expand(group)
    assert len(runs) == 4 * 3 * 2 * 3  # corruption x widths x sizes x seeds
    assert {r.data.n_train for r in runs} == {500, 1000}
    assert sorted(map(len, st.jobs(runs))) == [12] * 6  # one stacked job per (width, size)
    group, _ = load_group("complexity-cifar10")
    assert len(st.expand(group)) == 3 * 3 * 2 * 3
