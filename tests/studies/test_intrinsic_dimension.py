"""Intrinsic dimension study: the bisection finds a known crossing, presets expand into one
job per (model, variant, seed), bad input is refused with the key named, a real tiny sweep
trains its d values in order and bisects between them, and the pane's table names both
forms of d_int90."""

from __future__ import annotations

from dataclasses import replace

import pytest

from overfit_tui.core.errors import SpecError
from overfit_tui.engine.models import build_model, param_count
from overfit_tui.studies import get_study
from overfit_tui.studies.base import RunData
from overfit_tui.studies.groups import group_from_dict, load_group
from overfit_tui.studies.intrinsic_dimension.spec import model_size
from overfit_tui.studies.intrinsic_dimension.sweep import d_int, next_dimension, sweep
from tests.studies.collect import Collect

ST = get_study("intrinsic_dimension")


@pytest.mark.parametrize("crossing", [1, 2, 137, 999, 5000])
def test_bisection_returns_the_crossing_of_a_monotone_curve(crossing):
    curve = lambda d: 0.2 + 0.7 * (d >= crossing) + 1e-6 * d  # monotone, reaches 0.9 at `crossing`
    found, points = sweep(curve, [10, 100, 1000], 0.9, D=5000, steps=20)
    assert found == crossing
    assert len(points) < 3 + 20  # it stops once the bracket is two adjacent integers


def test_bisection_steps_outwards_when_the_grid_does_not_cross():
    assert next_dimension({10: 0.1, 100: 0.2}, 0.9, D=1000) == 300  # nothing reaches: up
    assert next_dimension({10: 0.1, 100: 0.2, 1000: 0.3}, 0.9, D=1000) is None  # d = D reached
    assert next_dimension({30: 0.95, 100: 0.97}, 0.9, D=1000) == 10  # everything reaches: down
    assert next_dimension({100: 0.5, 101: 0.95}, 0.9, D=1000) is None  # pinned
    assert d_int({10: 0.95, 5: 0.5, 20: 0.8, 40: 0.92}, 0.9) == 10  # smallest d reaching, not the last crossing


def test_presets_expand_into_one_sequential_job_per_sweep():
    group, _ = load_group("intrinsic-dimension-mnist1d")
    runs = ST.expand(group)
    p = group.params
    per_sweep = 1 + len(p.dims) + p.refine
    assert len(runs) == len(group.models) * len(p.variants) * len(group.seeds) * per_sweep
    jobs = ST.jobs(runs)
    assert len(jobs) == len(group.models) * len(p.variants) * len(group.seeds)
    for job in jobs:
        roles = [runs[i].params.role for i in job]
        assert roles[0] == "baseline" and roles[-p.refine :] == ["bisection"] * p.refine
        ds = [runs[i].params.d for i in job if runs[i].params.role == "grid"]
        assert ds == sorted(p.dims)
        assert len({(runs[i].model, runs[i].params.variant, runs[i].seeds) for i in job}) == 1
    labels = [r.label for r in runs]
    assert any(lab.startswith("cnn1d") and "shuffled pixels: bisection 1" in lab for lab in labels)
    for name in ("widths-mnist1d", "mnist", "cifar10", "labels-mnist1d"):
        g, _ = load_group(f"intrinsic-dimension-{name}")
        trains = {(r.params.variant, r.train.lr, r.train.epochs) for r in ST.expand(g)}
        assert ("true", g.train.lr, g.train.epochs) in trains
    assert ("shuffled_labels", 0.001, 150) in trains  # the labels preset's own optimizer budget


def test_paper_models_have_the_papers_parameter_counts():
    group, _ = load_group("intrinsic-dimension-mnist")
    sizes = {m.name: model_size(m, group.data) for m in group.models}
    assert sizes == {"mlp": 199_210, "lenet_valid": 44_426}  # Li et al. 2018, Table 1
    group, _ = load_group("intrinsic-dimension-cifar10")
    assert {m.name: model_size(m, group.data) for m in group.models} == {"mlp": 656_810, "lenet_valid": 62_006}


@pytest.mark.parametrize(
    ("params", "key", "reason"),
    [
        ({"dims": [0, 10]}, "params.dims[0]", "must be >= 1"),
        ({"dims": [10, 100_000]}, "models[0]", "exceeds D"),
        ({"projection": "gaussian"}, "params.projection", "gaussian"),
        ({"variants": ["random_pixels"]}, "params.variants", "random_pixels"),
        ({"refine": -1}, "params.refine", "must be >= 0"),
    ],
)
def test_bad_input_names_the_key(params, key, reason):
    raw = {"study": "intrinsic_dimension", "models": [{"name": "mlp", "width": 32}], "params": params}
    with pytest.raises(SpecError) as e:
        group_from_dict(raw)
    assert key in str(e.value) and reason in str(e.value)


def _tiny_group(**params):
    return group_from_dict(
        {
            "study": "intrinsic_dimension",
            "data": {"n_train": 500, "n_test": 500},
            "models": [{"name": "mlp", "width": 32, "depth": 1}],
            "train": {"epochs": 12, "lr": 0.02, "eval_every": 12},
            "params": {"dims": [4, 64, 1024], "refine": 3, "projection": "fastfood", **params},
        }
    )


def test_a_tiny_sweep_trains_each_d_in_order_and_bisects_the_crossing(_data_cache):
    group = _tiny_group()
    runs = ST.expand(group)
    (job,) = ST.jobs(runs)
    ctx = Collect(_data_cache)
    ST.execute([runs[i] for i in job], ctx)
    assert ctx.order == list(range(len(job)))  # baseline, grid ascending, bisection steps
    s = {i: ctx.done[i][1] for i in range(len(job))}
    assert all(st == "finished" for st, _ in ctx.done.values())
    D = param_count(build_model(group.models[0], (1, 40), 10, 0))
    assert s[0]["role"] == "baseline" and "d" not in s[0] and s[0]["D"] == D
    acc = {s[i]["d"]: s[i]["final_test_acc"] for i in range(1, 4)}
    assert acc[1024] > acc[4] + 0.1  # more directions, better accuracy
    threshold = 0.9 * s[0]["final_test_acc"]
    assert acc[4] < threshold  # 4 directions are far from the baseline
    bis = [s[i] for i in range(4, 7)]
    assert bis[0]["d"] not in acc and "step 1: between" in bis[0]["bisection"]
    points = {**acc, **{b["d"]: b["final_test_acc"] for b in bis if "d" in b}}
    lo_hi = sorted(points)
    crossing = d_int(points, threshold)
    if crossing is not None:  # the bisection narrowed the bracket around the crossing
        below = max(d for d in lo_hi if d < crossing)
        assert crossing / below < 1024 / 64
    data = [RunData(str(i), runs[i].label, runs[i].to_dict(), "finished", s[i]) for i in range(len(job))]
    (table,) = ST.tables(data)
    assert any("relative" in c for c in table.columns) and any("absolute" in c for c in table.columns)
    assert table.rows[0][2].replace(",", "") == str(D)
    figs = {f.key: f for f in ST.figures(data)}
    acc_fig = figs["accuracy"]
    assert acc_fig.xlog and any(lab.startswith("D ") for _, lab in acc_fig.vlines)
    assert any(lab.startswith("baseline") for _, lab in acc_fig.hlines)
    assert any(lab.startswith("90 % of baseline") for _, lab in acc_fig.hlines)


def test_a_bisection_run_alone_says_why_it_cannot_bisect(_data_cache):
    runs = ST.expand(_tiny_group(refine=1))
    lone = [r for r in runs if r.params.role == "bisection"]
    ctx = Collect(_data_cache)
    ST.execute(lone, ctx)
    status, summary = ctx.done[0]
    assert status == "finished" and "restart the whole sweep" in summary["bisection"] and "d" not in summary


def test_a_dense_projection_over_the_memory_bound_runs_as_fastfood_and_the_run_says_so(_data_cache):
    group = _tiny_group(projection="dense", max_projection_mb=1, refine=0, dims=[4, 1024])
    runs = ST.expand(group)
    ctx = Collect(_data_cache)
    ST.execute([replace(r, train=replace(r.train, epochs=1)) for r in runs], ctx)
    small, big = ctx.done[1][1], ctx.done[2][1]
    assert small["projection"] == "dense" and "projection_note" not in small  # 1,642 x 4 floats: 26 KB
    assert big["projection"] == "fastfood" and "instead of dense" in big["projection_note"]  # 6.7 MB > 1 MiB
