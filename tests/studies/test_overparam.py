"""Overparameterization studies: XOR detection (Brutzkus & Globerson 2019) and GD near
initialization (Du et al. 2019). The generators and measures on hand-built inputs, then one
tiny real run of each study through execute, figures, tables and claims."""

from __future__ import annotations

import itertools

import pytest
import torch

from overfit_tui.core.errors import SpecError
from overfit_tui.studies import get_study
from overfit_tui.studies.base import RunData
from overfit_tui.studies.claims import evaluate
from overfit_tui.studies.groups import group_from_dict
from overfit_tui.studies.shared.overparam_nets import (
    DuNet,
    XorNet,
    compressed_filters,
    doubling_steps,
    gram,
    gram_infinity,
    hinge,
    is_positive,
    kmeans,
    max_distance,
    pattern_change,
    sphere_data,
    xor_data,
    xor_gd,
)

from .collect import Collect


def run_group(raw: dict):
    """Expand and execute a group job by job, as the scheduler would; RunData for figures."""
    st = get_study(raw["study"])
    runs = st.expand(group_from_dict(raw))
    data = []
    for job in st.jobs(runs):
        ctx = Collect()
        st.execute([runs[j] for j in job], ctx)
        for a, j in enumerate(job):
            status, summary = ctx.done[a]
            evs = [{**vars(e)} for e in ctx.events.get(a, [])]
            data.append(RunData(str(j), runs[j].label, runs[j].to_dict(), status, summary, evs))
    return st, runs, sorted(data, key=lambda r: int(r.id))


def sorted_rows(t: torch.Tensor) -> torch.Tensor:
    return torch.tensor(sorted(t.tolist()))


# -- XOR detection -----------------------------------------------------------------------------
def test_xor_generator_labels_follow_the_patterns():
    x, y = xor_data(301, 5, torch.Generator().manual_seed(0))
    assert x.shape == (301, 5, 2) and set(x.unique().tolist()) == {-1.0, 1.0}
    same = x[..., 0] == x[..., 1]  # (1, 1) or (-1, -1)
    assert bool(same[y == 1].any(1).all())  # every positive has a positive pattern
    assert not bool(same[y == -1].any())  # no negative has one
    assert (y == 1).sum() == 151 and torch.equal(is_positive(x), y == 1)
    assert len({tuple(r.flatten().tolist()) for r in x[y == 1]}) > 100  # not one repeated input


def test_xor_net_computes_max_pooled_relu_with_fixed_signs():
    net = XorNet(torch.tensor([[1.0, 1.0], [0.0, 0.0], [1.0, -1.0], [0.0, 0.0]]))  # k = 2: w1, w2, u1, u2
    x = torch.tensor([[[1.0, 1.0], [1.0, -1.0]], [[-1.0, 1.0], [1.0, -1.0]]])
    # input 0: max relu(w1.x_j) = 2, max relu(u1.x_j) = 2 -> 0; input 1: 0 - 2 = -2
    assert torch.equal(net(x), torch.tensor([0.0, -2.0]))
    assert torch.allclose(hinge(net(x), torch.tensor([1.0, -1.0])), torch.tensor(0.5))
    one = torch.tensor([[[-1.0, -1.0]]])  # one pattern: w1 . x = -2, u1 . x = 0
    assert net(one).item() == 0 and XorNet(net.w.detach(), leak=0.5)(one).item() == -1  # leaky: 0.5 * -2


def test_doubling_snapshot_steps():
    assert sorted(doubling_steps(20)) == [1, 2, 4, 8, 16] and sorted(doubling_steps(16)) == [1, 2, 4, 8, 16]
    assert doubling_steps(0) == frozenset()


def test_the_output_layer_never_trains():
    net = XorNet.random(3, 0.1, torch.Generator().manual_seed(0))
    assert [n for n, _ in net.named_parameters()] == ["w"]
    w0, signs0 = net.w.detach().clone(), net.signs.clone()
    x, y = xor_data(20, 3, torch.Generator().manual_seed(1))
    list(xor_gd(net, x, y, lr=0.05, steps=50, every=10))
    assert torch.equal(net.signs, torch.tensor([1.0, 1, 1, -1, -1, -1])) and torch.equal(net.signs, signs0)
    assert not torch.equal(net.w, w0)  # while the filters did train
    du = DuNet.random(8, 4, torch.Generator().manual_seed(0))
    a0 = du.a.clone()
    xs, ys = sphere_data(5, 4, "signs", torch.Generator().manual_seed(0))
    (0.5 * (du(xs) - ys).pow(2).sum()).backward()
    assert [n for n, _ in du.named_parameters()] == ["w"] and torch.equal(du.a, a0)


def test_kmeans_finds_the_means_of_separated_clusters():
    a = torch.tensor([[1.0, 1.0], [1.2, 0.8], [0.8, 1.2]])
    b = torch.tensor([[-1.0, -1.0], [-1.1, -0.9]])
    c = kmeans(torch.cat([a, b]), 2, torch.Generator().manual_seed(3))
    assert torch.allclose(sorted_rows(c), torch.tensor([[-1.05, -0.95], [1.0, 1.0]]))


def test_compressed_init_puts_exactly_the_centres_in_the_small_net():
    w = torch.tensor(
        [[1.0, 1.0], [1.0, 1.2], [-2.0, -2.0], [-2.0, -1.8], [1.0, -1.0], [1.2, -1.0], [-1.0, 1.0], [-1, 1.4]]
    )
    big = XorNet(w)  # k = 4: rows 0-3 are +1 filters, rows 4-7 are -1 filters
    small = XorNet(compressed_filters(big, 2, torch.Generator().manual_seed(0)))
    assert torch.allclose(sorted_rows(small.w[:2]), torch.tensor([[-2.0, -1.9], [1.0, 1.1]]))
    assert torch.allclose(sorted_rows(small.w[2:]), torch.tensor([[-1.0, 1.2], [1.1, -1.0]]))
    assert torch.equal(small.signs, torch.tensor([1.0, 1.0, -1.0, -1.0]))
    # scaled: each centre times its cluster's size (2 filters each here)
    scaled = compressed_filters(big, 2, torch.Generator().manual_seed(0), scaled=True)
    assert torch.allclose(scaled, 2 * small.w.detach())


# -- Du et al. ---------------------------------------------------------------------------------
def test_distance_and_pattern_change_on_a_hand_built_net():
    w0 = torch.tensor([[1.0, 0.0], [0.0, 2.0]])
    w = torch.tensor([[1.0, 0.0], [0.0, -1.0]])  # unit 2 moved by 3 (absolute, as the paper's Fig. 1c)
    x = torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.6, 0.8]])
    assert max_distance(w, w0) == pytest.approx(3.0)
    # activations (x . w_r >= 0) at init: all on; now x2 and x3 switch unit 2 off: 2 of 6 pairs
    assert pattern_change(w, w0, x) == pytest.approx(2 / 6)
    assert max_distance(w0, w0) == 0 and pattern_change(w0, w0, x) == 0


def test_gram_matrix_matches_a_direct_computation():
    x, _ = sphere_data(6, 3, "gaussian", torch.Generator().manual_seed(0))
    w = torch.randn(7, 3, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    direct = torch.zeros(6, 6, dtype=torch.float64)
    for i, j in itertools.product(range(6), range(6)):
        both = sum(1 for r in range(7) if w[r] @ x[i] >= 0 and w[r] @ x[j] >= 0)
        direct[i, j] = (x[i] @ x[j]) * both / 7
    assert torch.allclose(gram(w, x), direct)
    assert torch.allclose(x.norm(dim=1), torch.ones(6, dtype=torch.float64))  # on the unit sphere


def test_infinite_width_gram_is_the_mean_of_the_finite_one():
    x, _ = sphere_data(5, 3, "gaussian", torch.Generator().manual_seed(0))
    h = gram_infinity(x)
    assert torch.allclose(torch.diagonal(h), torch.full((5,), 0.5, dtype=torch.float64))  # x.x (pi - 0) / 2 pi
    w = torch.randn(400_000, 3, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    assert torch.allclose(gram(w, x), h, atol=5e-3)  # H(0) -> H^inf as m grows (Du et al., Lemma 3.1)
    assert torch.linalg.eigvalsh(h).min() > 0  # no two points parallel: lambda_0 > 0 (Thm. 3.1)


# -- the studies end to end ----------------------------------------------------------------------
def test_xor_study_runs_the_sweep_and_the_compression():
    raw = {
        "study": "overparam_xor",
        "seeds": [0, 1, 2],
        "data": {"n_train": 16, "n_test": 400},
        "train": {"epochs": 400, "lr": 0.05, "log_every": 20},
        "params": {"ks": [2, 8, 30], "compress_to": 2},
    }
    st, runs, data = run_group(raw)
    labels = ["k=2 s0", "k=8 s0", "k=30 s0", "k=2 from k=30 centres s0", "k=2 from k=30 centres x size s0"]
    assert [r.label for r in runs[:5]] == labels
    assert st.jobs(runs) == [list(range(15))]  # one worker: tiny nets
    assert all(r.status == "finished" for r in data)
    big = [r for r in data if r.summary["k"] == 30]
    assert all(r.summary["train_error"] == 0 and r.summary["steps_to_fit"] for r in big)
    assert len(big[0].points("filters_init")) == 60 == len(big[0].points("filters_final"))
    assert any(e["kind"] == "eval" for e in big[0].events) and any(e["kind"] == "step" for e in big[0].events)
    # the compressed net starts at k-means centres of the big net's final filters: each centre is
    # the mean of the big filters of its sign nearest to it (a fixed point of Lloyd's iteration)
    comp = data[3]
    init = torch.tensor(
        [[p["values"]["w1"], p["values"]["w2"], p["values"]["sign"]] for p in comp.points("filters_init")]
    )
    final = torch.tensor(
        [[p["values"]["w1"], p["values"]["w2"], p["values"]["sign"]] for p in big[0].points("filters_final")]
    )
    for sign in (1.0, -1.0):
        c, pts = init[init[:, 2] == sign, :2], final[final[:, 2] == sign, :2]
        assign = torch.cdist(pts, c).argmin(1)
        for j in range(2):
            assert torch.allclose(c[j], pts[assign == j].mean(0), atol=1e-5)
    figs = {f.key: f for f in st.figures(data)}
    assert {"error_vs_k", "filters_init_30", "filters_final_30", "filters_init_2", "filters_trail_30"} <= set(figs)
    # snapshots at steps 1, 2, 4, ... while the run lasts, every filter each time
    steps = big[0].summary["steps"]
    snaps = big[0].points("filters_snap")
    assert sorted({p["x"] for p in snaps}) == [s for s in (1, 2, 4, 8, 16, 32, 64, 128, 256) if s <= steps]
    assert len(snaps) == 60 * len({p["x"] for p in snaps})
    test = figs["error_vs_k"].series[0]
    assert test.x == (2, 8, 30) and test.n == 3
    (table,) = st.tables(data)
    names = ["k=2, random init", "k=2, from k=30 centres", "k=2, from k=30 centres x size", "k=30, random init"]
    assert [row[0] for row in table.rows] == names and table.rows[0][-1] == 3
    verdicts = {c.id: v for c, v in evaluate(st.claims(), data)}
    # 'fits' decides on >= 5 seeds (every seed at 0 training error); the others on 3, paired per seed
    assert verdicts["fits"].status == "pending" and "5 seeds" in verdicts["fits"].detail
    for cid in ("error-falls", "compression", "compression-scaled"):
        assert verdicts[cid].status in {"holds", "fails"} and verdicts[cid].evidence.n == 3


def test_du_study_distance_and_patterns_shrink_with_width():
    raw = {
        "study": "overparam_du",
        "seeds": [0, 1, 2],
        "data": {"n_train": 10, "gaussian_dim": 20},
        "train": {"epochs": 150, "lr": 0.5, "log_every": 10},
        "params": {"widths": [3, 20, 200, 2000]},
    }
    st, runs, data = run_group(raw)
    assert [r.label for r in runs[:4]] == ["m=3 s0", "m=20 s0", "m=200 s0", "m=2000 s0"]
    assert all(r.params.gram for r in runs)
    small, wide = data[1].summary, data[3].summary  # m = 20 and 2000 of seed 0
    assert wide["loss_ratio"] < 1e-3  # GD drives the squared loss to zero
    assert wide["distance"] < small["distance"] / 3 and wide["patterns"] < small["patterns"]
    assert wide["lambda0"] > 0 and wide["lambda0"] == small["lambda0"]  # lambda_min H^inf: the data's, not the net's
    assert wide["rate_bound"] == pytest.approx(1 - 0.5 * wide["lambda0"] / 2)
    assert wide["contraction"] < wide["rate_bound"] and wide["gram_low"] > 0.5 and wide["gram_drift"] < 0.25
    pts = data[3].points("du")
    assert pts[0]["values"]["distance"] == 0 and pts[0]["values"]["gram_drift"] == 0
    assert pts[0]["values"]["lambda_ratio"] == pytest.approx(wide["lambda_h0"])
    figs = {f.key: f for f in st.figures(data)}
    assert {"du_loss", "du_distance", "du_patterns", "du_lambda_ratio", "du_gram_drift", "du_vs_width"} <= set(figs)
    assert figs["du_vs_width"].xlog and figs["du_vs_width"].ylog and figs["du_loss"].ylog
    assert figs["du_vs_width"].vlines == ((10.0, "m = n"),)
    dist, ref = figs["du_vs_width"].series[0], figs["du_vs_width"].series[-1]
    assert ref.name == "m^-1/2 (theory)" and ref.y[1] == pytest.approx(dist.y[1])  # through m = 20, the first m >= n
    verdicts = {c.id: v for c, v in evaluate(st.claims(), data)}
    assert set(verdicts) == {"loss-linear", "distance-falls", "patterns-fall", "gram-stable"}
    # decided over 3 seeds on the widths m >= n (20, 200, 2000); m = 3 < n is shown, not decided on
    for v in verdicts.values():
        assert v.status in {"holds", "fails"} and v.evidence.n == 3 and "m < n (3)" in v.measured
    assert verdicts["loss-linear"].status == "holds"


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ({"study": "overparam_xor", "params": {"ks": []}}, "params.ks"),
        ({"study": "overparam_xor", "params": {"ks": [2, 4], "compress_to": 8}}, "params.compress_to"),
        ({"study": "overparam_xor", "data": {"name": "mnist1d"}}, "data.name"),
        ({"study": "overparam_du", "params": {"widths": [0]}}, "params.widths"),
        ({"study": "overparam_du", "params": {"labels": "ones"}}, "params.labels"),
    ],
)
def test_bad_parameters_name_their_key(raw, key):
    with pytest.raises(SpecError) as e:
        group_from_dict(raw)
    assert e.value.key == key
