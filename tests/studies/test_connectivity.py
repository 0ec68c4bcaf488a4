"""Mode connectivity (Garipov et al. 2018, Nguyen 2019): the path math on cases with a known
answer (identical nets have no barrier; the Bezier midpoint of a quadratic loss is -3/4 (a + b));
the linear assignment against brute force; weight matching keeps B's function and recovers a
permuted copy; a real tiny pair through the study's execute; figures and claims from its runs."""

from __future__ import annotations

import itertools
import random

import numpy as np
import pytest
import torch

from overfit_tui.core.errors import SpecError
from overfit_tui.core.specs import ModelSpec
from overfit_tui.engine.models import build_model
from overfit_tui.studies import get_study
from overfit_tui.studies.base import RunData
from overfit_tui.studies.claims import evaluate
from overfit_tui.studies.connectivity.spec import b_seeds
from overfit_tui.studies.connectivity.train import (
    barrier,
    bezier_point,
    line_point,
    linear_assignment,
    match_mlp,
    walk,
)
from overfit_tui.studies.groups import group_from_dict

from .collect import Collect

STUDY = get_study("connectivity")


def _params(seed: int, width: int = 8) -> tuple[torch.nn.Module, dict]:
    m = build_model(ModelSpec(name="mlp", width=width, depth=1), (1, 40), 10, seed)
    return m, {k: v.detach().clone() for k, v in m.named_parameters()}


def test_barrier_is_the_max_above_the_mean_of_the_ends():
    assert barrier([1.0, 3.0, 2.0]) == pytest.approx(1.5)
    assert barrier([2.0, 2.0, 2.0]) == 0.0
    assert barrier([1.0, 0.5, 1.0]) == 0.0  # a dip: the max is an end
    assert barrier([0.0, 1.0]) == pytest.approx(0.5)  # a monotone path: the higher end over the mean


def test_identical_nets_have_no_barrier_on_either_path():
    model, a = _params(0)
    x, y = torch.randn(64, 1, 40), torch.randint(0, 10, (64,))
    ts = [j / 20 for j in range(21)]
    data = (x, y, x, y)
    line, _ = walk(model, lambda t: line_point(a, a, t), ts, data, "ce")
    curve, _ = walk(model, lambda t: bezier_point(a, a, a, t), ts, data, "ce")
    for rows in (line, curve):
        losses = [r["train_loss"] for r in rows]
        assert max(losses) - min(losses) < 1e-5 and abs(barrier(losses)) < 1e-5


def test_paths_start_at_a_end_at_b_and_the_bezier_passes_its_middle_point_halfway():
    _, a = _params(0)
    _, b = _params(1)
    _, m = _params(2)
    for k in a:
        assert torch.allclose(line_point(a, b, 0.0)[k], a[k]) and torch.allclose(line_point(a, b, 1.0)[k], b[k])
        assert torch.allclose(bezier_point(a, m, b, 0.0)[k], a[k]) and torch.allclose(
            bezier_point(a, m, b, 1.0)[k], b[k]
        )
        # theta(1/2) = a/4 + m/2 + b/4
        assert torch.allclose(bezier_point(a, m, b, 0.5)[k], a[k] / 4 + m[k] / 2 + b[k] / 4, atol=1e-6)


def test_the_bezier_midpoint_of_a_quadratic_loss_is_its_closed_form():
    """E_t ||theta(t)||^2 with t ~ U(0, 1) is minimized at m = -(E[t(1-t)^3] a + E[t^3(1-t)] b) / E[2 t^2 (1-t)^2]
    = -3/4 (a + b): trained as the study trains its curve (t sampled per step), it gets there."""
    g = torch.Generator().manual_seed(0)
    a, b = {"w": torch.randn(5, generator=g)}, {"w": torch.randn(5, generator=g)}
    m = {"w": ((a["w"] + b["w"]) / 2).clone().requires_grad_(True)}
    opt = torch.optim.SGD(m.values(), lr=0.05, momentum=0.9)
    for step in range(1500):
        t = torch.rand(16, 1, generator=g)  # 16 draws at once: the path math broadcasts over t
        loss = bezier_point(a, m, b, t)["w"].pow(2).sum(1).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step == 1000:
            for grp in opt.param_groups:
                grp["lr"] = 0.005
    want = -0.75 * (a["w"] + b["w"])
    assert torch.allclose(m["w"].detach(), want, atol=0.05), (m["w"], want)


@pytest.mark.parametrize("seed", range(5))
def test_linear_assignment_finds_the_best_permutation(seed):
    rng = np.random.default_rng(seed)
    n = 6
    score = rng.normal(size=(n, n))
    best = max(itertools.permutations(range(n)), key=lambda p: sum(score[i, p[i]] for i in range(n)))
    got = linear_assignment(score)
    assert sorted(got.tolist()) == list(range(n))
    assert sum(score[i, got[i]] for i in range(n)) == pytest.approx(sum(score[i, best[i]] for i in range(n)))


def test_weight_matching_keeps_bs_function_and_recovers_a_permuted_copy():
    model, a = _params(0, width=32)
    _, b = _params(1, width=32)
    x = torch.randn(50, 1, 40)
    call = torch.func.functional_call
    matched = match_mlp(model, a, b)
    assert torch.allclose(call(model, matched, (x,)), call(model, b, (x,)), atol=1e-5)  # same function
    perm = torch.randperm(32, generator=torch.Generator().manual_seed(3))
    shuffled = {"1.weight": a["1.weight"][perm], "1.bias": a["1.bias"][perm], "3.weight": a["3.weight"][:, perm]}
    shuffled["3.bias"] = a["3.bias"]
    back = match_mlp(model, a, shuffled)
    assert all(torch.equal(back[k], a[k]) for k in a)  # the line from A to it is a point: no barrier


def _group(**params) -> dict:
    return {
        "study": "connectivity",
        "name": "tiny",
        "data": {"name": "mnist1d", "n_train": 200, "n_test": 200},
        "models": [{"name": "mlp", "depth": 1}],
        "train": {
            "optimizer": "sgd",
            "lr": 0.05,
            "momentum": 0.9,
            "lr_decay": 1.0,
            "batch_size": 50,
            "epochs": 30,
            "target_train_acc": 0.0,
        },
        "seeds": [0],
        "params": {"widths": [6], "n_points": 21, "align": True, **params},
    }


def test_expand_pairs_each_width_with_each_seed_and_b_has_other_seeds():
    g = group_from_dict({**_group(widths=[4, 64]), "seeds": [0, 1, 2]})
    runs = STUDY.expand(g)
    assert [(r.params.width, r.seeds.init) for r in runs] == [(w, s) for w in (4, 64) for s in (0, 1, 2)]
    assert all(r.model.width == r.params.width for r in runs)
    sb = b_seeds(runs[0].seeds)
    assert sb.init != runs[0].seeds.init and sb.order != runs[0].seeds.order
    assert {b_seeds(r.seeds) for r in runs}.isdisjoint({r.seeds for r in runs})


@pytest.mark.parametrize(
    "change",
    [
        {"models": [{"name": "mlp", "depth": 1, "batchnorm": True}]},
        {"models": [{"name": "mlp", "depth": 1, "dropout": 0.5}]},
        {"models": [{"name": "mlp", "depth": 2}]},  # align needs one hidden layer
    ],
)
def test_bad_groups_are_refused(change):
    with pytest.raises(SpecError):
        group = group_from_dict({**_group(), **change})
        STUDY.validate(group)


@pytest.fixture(scope="module")
def tiny_runs(_data_cache) -> list[RunData]:
    """One real pair at width 6 on 200 MNIST-1D samples (seconds), through the study's execute."""
    g = group_from_dict(_group())
    STUDY.validate(g)
    out = []
    for i, run in enumerate(STUDY.expand(g)):
        ctx = Collect(_data_cache)
        STUDY.execute([run], ctx)
        status, summary = ctx.done[0]
        events = [e.__dict__ for e in ctx.events[0]]
        out.append(RunData(str(i), run.label, run.to_dict(), status, summary, events))
    return out


def test_a_real_pair_has_a_line_barrier_the_trained_curve_removes(tiny_runs):
    (r,) = tiny_runs
    s = r.summary
    assert r.status == "finished"
    for path in ("line", "curve", "aligned"):
        pts = r.points(path)
        assert [round(e["x"], 6) for e in pts] == [round(j / 20, 6) for j in range(21)]
    line = [e["values"]["train_loss"] for e in r.points("line")]
    assert s["line_barrier"] == pytest.approx(barrier(line), abs=1e-5)
    assert s["final_train_acc"] > 0.4  # the ends learned something (chance is 10 %)
    assert s["line_barrier"] > 0.2  # two narrow nets from different inits: a barrier on the line
    assert s["curve_barrier"] < 0.5 * s["line_barrier"]  # the trained curve goes around it
    assert s["aligned_barrier"] < s["line_barrier"]  # matching the units shrinks it
    assert 0 <= s["ends_ens_acc"] <= 1 and 0 <= s["curve_ens_acc"] <= 1


def test_figures_and_tables_render_from_the_runs(tiny_runs):
    figs = {f.key: f for f in STUDY.figures(tiny_runs)}
    assert {"loss-w6", "err-w6", "barrier-width", "barrier-err-width", "ensemble-width"} <= set(figs)
    names = [s.name for s in figs["loss-w6"].series]
    assert names == ["line", "Bezier curve", "line, B matched to A"]
    assert all(len(s.x) == 21 for s in figs["loss-w6"].series)
    assert figs["barrier-width"].series[0].y == (pytest.approx(tiny_runs[0].summary["line_barrier"]),)
    (table,) = STUDY.tables(tiny_runs)
    assert table.rows[0][:2] == ("6", "1")


def test_claims_wait_for_three_pairs_and_for_widths_on_both_sides_of_n(tiny_runs):
    verdicts = dict((c.id, v) for c, v in evaluate(STUDY.claims(), tiny_runs))
    assert verdicts["line-barrier"].status == "pending" and "seeds" in verdicts["line-barrier"].detail
    assert verdicts["line-width"].status == "pending" and "two widths" in verdicts["line-width"].detail
    three = [
        RunData(f"r{i}", r.label, {**r.spec, "seeds": {"init": i, "order": i, "noise": i}}, r.status, r.summary)
        for i, r in enumerate(tiny_runs * 3)
    ]
    rng = random.Random(0)
    for r in three:
        r.summary = {**r.summary, "line_barrier": 0.8 + rng.gauss(0, 0.02), "end_gap": 0.01}
    verdicts = dict((c.id, v) for c, v in evaluate(STUDY.claims(), three))
    assert verdicts["line-barrier"].status == "holds"
    assert verdicts["line-width"].status == "pending"
    running = RunData("r9", "w=6", three[0].spec, "running", {})
    verdicts = dict((c.id, v) for c, v in evaluate(STUDY.claims(), [*three, running]))
    assert verdicts["line-barrier"].status == "pending" and "still going" in verdicts["line-barrier"].detail
