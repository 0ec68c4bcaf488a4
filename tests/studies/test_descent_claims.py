"""Double-descent claims are decisions over >= 3 seeds: they hold on curves that descend twice,
fail on a curve that falls monotonically (the old rule passed it: peak, second descent and
interpolation all ✓), on a U-shaped curve and where the squared loss stays above its first
minimum while the zero-one error descends; they wait for 3 seeds, both sides of the threshold
and every run to end. A real tiny RFF group is judged too."""

from __future__ import annotations

from overfit_tui.studies import get_study
from overfit_tui.studies.base import RunData
from overfit_tui.studies.claims import evaluate
from overfit_tui.studies.groups import group_from_dict

from .collect import Collect

THRESHOLD = 10_000
WIDTHS = (4, 16, 64, 128, 196, 256, 1024, 4096)
# zero-one test error per width, seed 0; the other seeds add a small offset and jitter
TWICE = [0.40, 0.32, 0.30, 0.34, 0.37, 0.35, 0.29, 0.27]
MONOTONE = [0.40, 0.36, 0.33, 0.31, 0.30, 0.29, 0.28, 0.27]
U_SHAPED = [0.40, 0.32, 0.30, 0.31, 0.33, 0.34, 0.36, 0.38]
JITTER = ([0.0] * 8, [0.004, -0.003, 0.002, -0.004, 0.003, -0.002, 0.004, -0.003], [-0.002] * 8)


def _nn_runs(errors, squared=None, seeds=3, status="finished") -> list[RunData]:
    squared = squared or errors
    runs = []
    for seed in range(seeds):
        for i, h in enumerate(WIDTHS):
            params = 51 * h + 10
            summary = {
                "params": params,
                "threshold": THRESHOLD,
                "final_test_acc": 1 - (errors[i] + 0.01 * seed + JITTER[seed][i]),
                "final_test_loss": 2 * (squared[i] + 0.01 * seed + JITTER[seed][i]),
                "final_train_acc": 1.0 if params >= THRESHOLD else 0.7,
            }
            spec = {"seeds": {"init": seed, "order": seed, "noise": seed}, "params": {"width": h}}
            st = status if (seed, h) == (0, WIDTHS[-1]) else "finished"
            runs.append(RunData(f"{h}-{seed}", f"H={h} s{seed}", spec, st, summary if st == "finished" else {}))
    return runs


def _status(study: str, runs) -> dict[str, str]:
    return {c.id: v.status for c, v in evaluate(get_study(study).claims(), runs)}


def test_double_descent_claims_hold_on_curves_that_descend_twice():
    v = {c.id: x for c, x in evaluate(get_study("double_descent_nn").claims(), _nn_runs(TWICE))}
    assert {k: x.status for k, x in v.items()} == dict.fromkeys(
        ("interpolates", "peak", "second-descent", "peak-squared", "second-descent-squared"), "holds"
    )
    ev = v["second-descent"].evidence
    assert ev.n == 3 and ev.lo > 0 and "log ratio > 0" in ev.margin


def test_a_monotone_curve_has_no_peak_and_no_second_descent():
    s = _status("double_descent_nn", _nn_runs(MONOTONE))
    assert s["interpolates"] == "holds"
    assert s["peak"] == s["second-descent"] == s["peak-squared"] == s["second-descent-squared"] == "fails"


def test_a_u_shaped_curve_has_no_peak_and_no_second_descent():
    s = _status("double_descent_nn", _nn_runs(U_SHAPED))
    assert s["peak"] == s["second-descent"] == "fails"


def test_squared_loss_that_stays_above_its_first_minimum_fails_its_own_claim():
    squared = TWICE[:6] + [0.33, 0.32]  # peaks, falls, but stays above its first minimum (0.30)
    s = _status("double_descent_nn", _nn_runs(TWICE, squared))
    assert s["second-descent"] == "holds" and s["second-descent-squared"] == "fails"
    assert s["peak-squared"] == "holds"


def test_interpolates_fails_when_a_model_past_the_threshold_does_not_fit():
    runs = _nn_runs(TWICE)
    runs[-1].summary["final_train_acc"] = 0.995
    assert _status("double_descent_nn", runs)["interpolates"] == "fails"


def test_claims_wait_for_three_seeds_both_sides_and_every_run():
    assert set(_status("double_descent_nn", _nn_runs(TWICE, seeds=2)).values()) == {"pending"}
    assert set(_status("double_descent_nn", _nn_runs(TWICE, status="running")).values()) == {"pending"}
    diverged = _status("double_descent_nn", _nn_runs(TWICE, status="diverged"))  # a hole is not dropped
    assert set(diverged.values()) == {"pending"}
    below = [r for r in _nn_runs(TWICE) if r.summary["params"] < THRESHOLD]
    assert set(_status("double_descent_nn", below).values()) == {"pending"}


def test_rff_claims_on_a_real_tiny_group(_data_cache):
    st = get_study("double_descent_rff")
    g = group_from_dict(
        {
            "study": "double_descent_rff",
            "data": {"n_train": 200},
            "seeds": [0, 1, 2],
            "params": {"features": [20, 50, 100, 180, 200, 220, 400, 1000, 4000], "sigma": 3.0},
        }
    )
    runs = st.expand(g)
    ctx = Collect(_data_cache)
    st.execute(runs, ctx)
    rd = [RunData(str(i), r.label, r.to_dict(), ctx.done[i][0], ctx.done[i][1]) for i, r in enumerate(runs)]
    v = {c.id: x for c, x in evaluate(st.claims(), rd)}
    assert v["interpolates"].status == "holds"  # N >= n interpolates
    assert v["peak"].status == "holds" and "at 200:" in v["peak"].measured, v["peak"]
    assert v["norm-peak"].status == "holds", v["norm-peak"]
    assert v["second-descent"].status == "holds", v["second-descent"]
