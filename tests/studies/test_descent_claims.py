"""Double-descent claims are checked per seed and can fail: they hold on curves that descend
twice, fail where the largest model is worse than the first minimum, and wait for both sides
of the threshold; a real tiny RFF group is judged too."""

from __future__ import annotations

from overfit_tui.studies import get_study
from overfit_tui.studies.base import RunData
from overfit_tui.studies.claims import evaluate
from overfit_tui.studies.groups import group_from_dict

from .collect import Collect

THRESHOLD = 10_000


def _nn_runs(curves: dict[int, list[float]], widths=(4, 16, 64, 256, 1024)) -> list[RunData]:
    runs = []
    for seed, errors in curves.items():
        for h, err in zip(widths, errors):
            params = 51 * h + 10
            summary = {
                "params": params,
                "threshold": THRESHOLD,
                "final_test_acc": 1 - err,
                "final_train_acc": 1.0 if params >= THRESHOLD else 0.7,
            }
            spec = {"seeds": {"init": seed, "order": seed, "noise": seed}, "params": {"width": h}}
            runs.append(RunData(f"{h}-{seed}", f"H={h} s{seed}", spec, "finished", summary))
    return runs


def _verdicts(study: str, runs):
    return {c.id: v for c, v in evaluate(get_study(study).claims(), runs)}


def test_double_descent_claims_hold_on_a_curve_that_descends_twice():
    runs = _nn_runs({0: [0.75, 0.68, 0.70, 0.73, 0.64], 1: [0.74, 0.69, 0.71, 0.72, 0.65]})
    v = _verdicts("double_descent_nn", runs)
    assert {k: x.status for k, x in v.items()} == {"interpolates": "holds", "peak": "holds", "second-descent": "holds"}
    assert v["second-descent"].measured == "first minimum 0.685 ± 0.00707 (n=2), largest 0.645 ± 0.00707 (n=2)"


def test_second_descent_fails_when_one_seed_stays_above_its_first_minimum():
    runs = _nn_runs({0: [0.75, 0.68, 0.70, 0.73, 0.64], 1: [0.74, 0.66, 0.71, 0.72, 0.67]})
    v = _verdicts("double_descent_nn", runs)
    assert v["second-descent"].status == "fails"
    runs[-1].summary["final_train_acc"] = 0.99  # a model past the threshold that does not interpolate
    assert _verdicts("double_descent_nn", runs)["interpolates"].status == "fails"


def test_claims_wait_for_both_sides_of_the_threshold():
    runs = _nn_runs({0: [0.75, 0.68, 0.70]}, widths=(4, 16, 64))
    v = _verdicts("double_descent_nn", runs)
    assert {x.status for x in v.values()} == {"pending"}


def test_rff_claims_on_a_real_tiny_group(_data_cache):
    st = get_study("double_descent_rff")
    g = group_from_dict(
        {
            "study": "double_descent_rff",
            "data": {"n_train": 200},
            "seeds": [0, 1],
            "params": {"features": [20, 100, 180, 200, 220, 400, 4000], "sigma": 3.0},
        }
    )
    runs = st.expand(g)
    ctx = Collect(_data_cache)
    st.execute(runs, ctx)
    rd = [RunData(str(i), r.label, r.to_dict(), ctx.done[i][0], ctx.done[i][1]) for i, r in enumerate(runs)]
    v = _verdicts("double_descent_rff", rd)
    assert v["interpolates"].status == "holds"  # N >= n interpolates
    assert v["peak"].status == "holds" and "at 200 " in v["peak"].measured
    assert v["norm-peak"].status == "holds"
    assert v["second-descent"].status == "holds", v["second-descent"]
