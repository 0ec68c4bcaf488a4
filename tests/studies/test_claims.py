"""Claims are checked, not asserted: each randomization claim holds on runs that show it,
fails on runs that do not, and is pending without finished runs; a real tiny group goes
through the store and `overfit-tui claims`."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from overfit_tui.studies import get_study
from overfit_tui.studies.base import RunData
from overfit_tui.studies.claims import evaluate


def _run(cond, p, train_acc, test_acc, steps=None, model="mlp", seed=0, status="finished"):
    spec = {
        "study": "randomization",
        "label": f"{cond} {p}",
        "seeds": {"init": seed, "order": seed, "noise": seed},
        "model": {"name": model, "depth": 1, "width": 512},
        "data": {"n_test": 1000},
        "params": {"condition": cond, "p": p},
    }
    summary = {"final_train_acc": train_acc, "final_test_acc": test_acc, "steps_to_fit": steps}
    return RunData(f"{cond}{p}{model}{seed}", spec["label"], spec, status, summary if status == "finished" else {})


def _verdicts(runs):
    return {c.id: v.status for c, v in evaluate(get_study("randomization").claims(), runs)}


def test_claims_hold_on_runs_that_show_them():
    runs = [
        _run("labels", 0.0, 1.0, 0.60, 7000, seed=0),
        _run("labels", 0.0, 1.0, 0.62, 7200, seed=1),
        _run("labels", 0.5, 1.0, 0.35, 8800),
        _run("labels", 1.0, 1.0, 0.105, 10400, seed=0),
        _run("labels", 1.0, 1.0, 0.095, 10800, seed=1),
        _run("shuffled_pixels", 0.0, 1.0, 0.605, 7100),
        _run("labels", 0.0, 1.0, 0.88, 2500, model="cnn1d"),
        _run("shuffled_pixels", 0.0, 1.0, 0.64, 3000, model="cnn1d"),
    ]
    assert set(_verdicts(runs).values()) == {"holds"}


def test_claims_fail_on_runs_that_contradict_them():
    runs = [
        _run("labels", 0.0, 1.0, 0.60, 7000),
        _run("labels", 0.5, 1.0, 0.70, 6000),  # error falls with p, fit gets faster
        _run("labels", 1.0, 0.93, 0.25, None),  # not fitted, far above chance
        _run("shuffled_pixels", 0.0, 0.97, 0.45, None),  # an MLP that cares about the shuffle
    ]
    v = _verdicts(runs)
    assert v == {
        "random-fit": "fails",
        "random-chance": "fails",
        "fit-slowdown": "fails",  # faster at p = 0.5 than at p = 0
        "error-rises": "fails",
        "inputs-fit": "fails",
        "shuffle-mlp-vs-cnn": "fails",
    }
    # only one corruption level with a fit time: nothing to compare yet
    assert _verdicts(runs[:1] + runs[2:])["fit-slowdown"] == "pending"
    too_slow = [_run("labels", 0.0, 1.0, 0.6, 7000), _run("labels", 1.0, 1.0, 0.1, 91000)]
    assert _verdicts(too_slow)["fit-slowdown"] == "fails"  # 13x: not a small constant factor


def test_claims_are_pending_until_runs_finish():
    runs = [_run("labels", p, None, None, status="running") for p in (0.0, 1.0)]
    assert set(_verdicts(runs).values()) == {"pending"}
    assert set(_verdicts([]).values()) == {"pending"}


@pytest.mark.slow
def test_claims_cli_on_a_real_tiny_group(store):
    from overfit_tui.cli import app
    from overfit_tui.runs.launcher import launch, wait
    from overfit_tui.studies.groups import group_from_dict

    raw = {
        "study": "randomization",
        "data": {"n_train": 300},
        "models": [{"name": "mlp", "width": 64}],
        "train": {"lr": 0.05, "lr_decay": 1.0, "batch_size": 100, "epochs": 200, "log_every": 10},
        "params": {"corruption": [0.0, 1.0], "inputs": []},
    }
    gid, _ = launch(store, group_from_dict(raw), devices=["cpu"])
    runs = wait(store, gid, timeout=240)
    assert {r["status"] for r in runs} == {"finished"}
    out = CliRunner().invoke(app, ["claims", gid[:12], "--json", "--home", str(store.home.root)])
    assert out.exit_code == 0, out.output
    (gc,) = json.loads(out.output)
    by_id = {c["id"]: c for c in gc["claims"]}
    assert by_id["random-fit"]["status"] == "holds"  # 300 random labels, 64 units: memorized
    assert by_id["inputs-fit"]["status"] == "pending" and by_id["random-fit"]["measured"] == "100.0 %"
    assert by_id["random-chance"]["status"] in ("holds", "fails")  # decided, with its number shown
    assert by_id["random-chance"]["measured"].endswith("%")
