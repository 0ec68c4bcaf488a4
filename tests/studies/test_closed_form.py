"""Closed-form studies: the 2n+d construction, min-norm kernel interpolation, RFF double descent."""

from __future__ import annotations

import pytest
import torch

from overfit_tui.core.errors import SpecError
from overfit_tui.engine.linalg import construction_weights, kernel_matrix, min_norm_lstsq, min_norm_solve, rff_features
from overfit_tui.studies import get_study
from overfit_tui.studies.base import RunData
from overfit_tui.studies.claims import evaluate
from overfit_tui.studies.expressivity.train import construct
from overfit_tui.studies.groups import group_from_dict

from .collect import Collect


def test_construction_fits_random_targets_exactly_with_2n_plus_d_weights():
    g = torch.Generator().manual_seed(0)
    n, d = 300, 20
    z = torch.randn(n, d, generator=g, dtype=torch.float64)
    t = torch.randn(n, generator=g, dtype=torch.float64)
    net, stats, xs, b = construct(z, t, seed=1)
    assert stats["params"] == 2 * n + d
    assert stats["max_fit_error"] < 1e-8
    assert bool((b[1:] > xs[:-1]).all() and (b < xs).all())  # biases interleave the projections


def test_o_n_solve_matches_dense_triangular_solve():
    x = torch.sort(torch.randn(50, dtype=torch.float64)).values
    y = torch.randn(50, dtype=torch.float64)
    b, w = construction_weights(x, y)
    a = torch.relu(x.unsqueeze(1) - b.unsqueeze(0))
    assert torch.allclose(a @ w, y, atol=1e-9)
    assert torch.allclose(torch.triu(a, 1), torch.zeros_like(a))


def test_expressivity_study_fits_mnist1d_labels(_data_cache):
    st = get_study("expressivity")
    g = group_from_dict({"study": "expressivity", "params": {"n": 400, "targets": ["random"], "train_steps": 50}})
    ctx = Collect(_data_cache)
    runs = st.expand(g)
    assert [r.label for r in runs] == ["construction: random", "full-batch adam: random"]
    st.execute(runs, ctx)
    cons, trained = ctx.done[0][1], ctx.done[1][1]
    assert cons["train_acc_rounded"] == 1.0 and cons["params"] == 2 * 400 + 40
    assert trained["max_fit_error"] > cons["max_fit_error"]
    assert trained["optimizer"] == "full-batch adam"


def test_expressivity_comparison_honours_the_train_spec(_data_cache):
    st = get_study("expressivity")
    base = {"study": "expressivity", "params": {"n": 200, "targets": ["reals"], "train_steps": 100}}
    results = {}
    for opt in ("sgd", "adam"):
        train = {"optimizer": opt, "lr": 0.01, "batch_size": 50, "lr_decay": 0.5, "lr_decay_every": 5}
        g = group_from_dict({**base, "train": train})
        runs = st.expand(g)
        assert runs[1].label == f"{opt} (batch 50): reals"
        ctx = Collect(_data_cache)
        st.execute(runs, ctx)
        results[opt] = ctx.done[1][1]
        steps = [e for e in ctx.events[1] if e.kind == "step"]
        # 4 steps per epoch; after 25 epochs the lr was halved 4 times (after epochs 5, 10, 15, 20)
        assert steps[-1].epoch == 25 and steps[-1].lr == 0.01 * 0.5**4
    assert results["sgd"]["optimizer"] == "sgd (batch 50)"
    assert results["sgd"]["train_mse"] != results["adam"]["train_mse"]


def test_min_norm_kernel_solution_interpolates_and_random_labels_cost_norm(_data_cache):
    st = get_study("kernel")
    g = group_from_dict({"study": "kernel", "data": {"n_train": 800}, "params": {"kernels": ["gaussian"]}})
    ctx = Collect(_data_cache)
    st.execute(st.expand(g), ctx)
    true, rand = ctx.done[0][1], ctx.done[1][1]
    assert true["train_error"] == 0 and rand["train_error"] == 0  # interpolates either labelling
    assert true["interpolant"] and rand["interpolant"]
    assert true["test_error"] < 0.75 < rand["test_error"]  # generalizes with true labels only
    assert rand["norm"] > true["norm"]


def test_linear_kernel_on_raw_inputs_is_refused_or_flagged_as_not_an_interpolant(_data_cache):
    st = get_study("kernel")
    raw = {"study": "kernel", "data": {"n_train": 300}, "params": {"kernels": ["linear"]}}
    with pytest.raises(SpecError, match=r"params.kernels\[0\].*cannot interpolate"):
        group_from_dict(raw)  # d = 40 < n = 300: rank 40, a least-squares fit at best
    g = group_from_dict({**raw, "params": {"kernels": ["linear", "gaussian"], "least_squares": True}})
    ctx = Collect(_data_cache)
    runs = st.expand(g)
    st.execute(runs, ctx)
    by_label = {r.label: ctx.done[i][1] for i, r in enumerate(runs)}
    assert not by_label["linear: true labels"]["interpolant"] and by_label["linear: true labels"]["train_error"] > 0
    assert by_label["gaussian: true labels"]["interpolant"]
    rd = [RunData(str(i), r.label, r.to_dict(), "finished", ctx.done[i][1]) for i, r in enumerate(runs)]
    names = {s.name for f in st.figures(rd) for s in f.series}
    assert names == {"linear (least squares: not an interpolant)", "gaussian"}


def test_linear_kernel_interpolates_on_enough_random_features(_data_cache):
    st = get_study("kernel")
    g = group_from_dict(
        {
            "study": "kernel",
            "data": {"n_train": 300},
            "params": {"kernels": ["gaussian", "linear"], "random_features": [0, 600], "labels": [1.0]},
        }
    )
    runs = st.expand(g)
    # the linear kernel runs only where it can interpolate (600 features > 300 samples)
    assert [r.label for r in runs] == [
        "gaussian: random labels",
        "gaussian on 600 ReLU features: random labels",
        "linear on 600 ReLU features: random labels",
    ]
    ctx = Collect(_data_cache)
    st.execute(runs, ctx)
    lin = ctx.done[2][1]
    assert lin["interpolant"] and lin["train_error"] == 0 and lin["features"] == 600


def test_min_norm_solvers_agree_with_pinv():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(30, 5, generator=g, dtype=torch.float64)
    k = kernel_matrix(x, x, "linear", 0.0)  # rank 5: singular, needs the pseudo-inverse
    y = torch.randn(30, 2, generator=g, dtype=torch.float64)
    alpha, solver = min_norm_solve(k, y)
    assert solver == "pinv"
    assert torch.allclose(alpha, torch.linalg.pinv(k) @ y, atol=1e-8)
    for p in (10, 30, 60):
        phi = torch.randn(30, p, generator=g, dtype=torch.float64)
        assert torch.allclose(min_norm_lstsq(phi, y), torch.linalg.pinv(phi) @ y, atol=1e-6)


def test_rff_test_risk_peaks_at_n_features_equal_n():
    g = torch.Generator().manual_seed(0)
    n, d = 100, 5
    w = torch.randn(d, 1, generator=g, dtype=torch.float64)
    x = torch.randn(n + 500, d, generator=g, dtype=torch.float64)
    y = torch.sin(x @ w) + 0.3 * torch.randn(n + 500, 1, generator=g, dtype=torch.float64)
    freqs = torch.randn(d, 2000, generator=g, dtype=torch.float64) / 2
    risks = {}
    for nf in (10, 20, 40, 60, 80, 100, 120, 160, 300, 1000, 4000):
        v = freqs[:, : nf // 2]
        a = min_norm_lstsq(rff_features(x[:n], v), y[:n])
        risks[nf] = (rff_features(x[n:], v) @ a - y[n:]).pow(2).mean().item()
    assert max(risks, key=risks.get) == n


def test_rff_seeds_draw_their_own_frequencies_and_label_noise(_data_cache):
    st = get_study("double_descent_rff")
    g = group_from_dict(
        {
            "study": "double_descent_rff",
            "data": {"n_train": 200},
            "seeds": [0, 1],
            "params": {"features": [100, 400], "sigma": 3.0, "label_noise": 0.3},
        }
    )
    runs = st.expand(g)
    assert [r.label for r in runs] == ["N=100 s0", "N=400 s0", "N=100 s1", "N=400 s1"]
    assert st.jobs(runs) == [[0, 1], [2, 3]]  # a job per seed
    ctx = Collect(_data_cache)
    st.execute(runs, ctx)
    s = [ctx.done[i][1] for i in range(4)]
    assert [x["seed"] for x in s] == [0, 0, 1, 1]
    assert s[0]["test_risk"] != s[2]["test_risk"] and s[1]["norm"] != s[3]["norm"]  # different draws
    alone = Collect(_data_cache)
    st.execute(runs[2:3], alone)  # seed 1 alone, without N=400 in its job: the same draw
    assert alone.done[0][1]["test_risk"] == s[2]["test_risk"]


def test_rff_study_on_mnist1d(_data_cache):
    st = get_study("double_descent_rff")
    g = group_from_dict(
        {"study": "double_descent_rff", "data": {"n_train": 200}, "params": {"features": [20, 200, 2000], "sigma": 3.0}}
    )
    ctx = Collect(_data_cache)
    st.execute(st.expand(g), ctx)
    risk = {s["n_features"]: s["test_risk"] for _, s in ctx.done.values()}
    assert risk[200] > risk[20] and risk[200] > risk[2000]
    assert ctx.done[2][1]["train_risk"] < 1e-8  # over-parameterized: interpolates


def test_kernel_claims_on_a_real_tiny_group(_data_cache):
    st = get_study("kernel")
    g = group_from_dict(
        {
            "study": "kernel",
            "data": {"n_train": 600},
            "seeds": [0, 1, 2],
            "params": {"kernels": ["gaussian", "linear"], "random_features": [0], "least_squares": True},
        }
    )
    runs = st.expand(g)
    ctx = Collect(_data_cache)
    st.execute(runs, ctx)
    rd = [RunData(str(i), r.label, r.to_dict(), "finished", ctx.done[i][1]) for i, r in enumerate(runs)]
    v = {c.id: x for c, x in evaluate(st.claims(), rd)}
    assert v["interpolates"].status == "fails" and "linear" in v["interpolates"].detail  # least squares
    assert v["generalizes"].status == "holds"  # judged on the Gaussian interpolants only
    assert v["norm-grows"].status == "holds" and "gaussian:" in v["norm-grows"].measured
    assert "linear" not in v["norm-grows"].measured  # its least-squares fit makes no claim about norms
    assert v["norm-grows"].evidence.n == 3
    gaussian_only = [r for r in rd if r.spec["params"]["kernel"] == "gaussian"]
    assert {x.status for _, x in evaluate(st.claims(), gaussian_only)} == {"holds"}
    one_seed = [r for r in gaussian_only if r.spec["seeds"]["init"] == 0]
    assert {x.status for _, x in evaluate(st.claims(), one_seed)} == {"pending"}  # >= 3 seeds decide
