"""Progress and ETA as the tables show them: a stopped run's bar shows how far it got (never
full unless it finished), an ETA is a range while the run may fit before its budget ends."""

from __future__ import annotations

from overfit_tui.core.records import RunRecord
from overfit_tui.ui_text import bar, eta_range, fmt_eta, middle, progress_of

SPEC = {"train": {"epochs": 100, "target_train_acc": 1.0}}


def rec(status: str, spec: dict = SPEC) -> RunRecord:
    """A stored run as the store returns it (typed), with this status and spec."""
    spec = {"study": "randomization", "label": "x", **spec}
    return RunRecord.from_dict({"id": "r1", "group": "g", "study": "randomization", "label": "x",
                                "status": status, "spec": spec, "created": 0.0})  # fmt: skip


def test_progress_is_full_only_for_finished_runs():
    assert progress_of(rec("finished"), None) == 1.0  # fitted early still counts as done
    assert progress_of(rec("cancelled"), None) == 0.0  # cancelled before it started
    assert progress_of(rec("cancelled"), {"epoch": 30}) == 0.3
    assert progress_of(rec("failed"), {"epoch": 250}) == 1.0  # capped
    assert bar(0.3) == "█░░░░  30%" and bar(1.0) == "█████ 100%"


def test_eta_is_a_range_from_the_fit_trend():
    evs = [
        {"kind": "eval", "step": 10 * e, "epoch": e, "wall": 1.0 * e, "train_acc": 0.5 + e / 100} for e in range(1, 21)
    ]
    lo, hi = eta_range(rec("running"), evs)
    assert hi == 80.0  # 80 epochs left at 1 s each
    assert 25 <= lo <= 35  # accuracy rises 1 point per epoch from 70 %: about 30 epochs to fit
    assert fmt_eta((lo, hi)) == f"{lo:.0f}s-80s"
    flat = [{**e, "train_acc": 0.7} for e in evs]
    assert eta_range(rec("running"), flat) == (80.0, 80.0)  # no rise: the whole budget
    assert eta_range(rec("queued"), evs) is None and fmt_eta(None) == "-"


def _run(train: dict, accs: list[float], start_up: float = 5.0, step_s: float = 0.1, per_epoch: int = 10):
    """A running run's eval events: one per epoch, after `start_up` seconds before its first step."""
    evs = []
    for i, acc in enumerate(accs, 1):
        evs.append({"kind": "eval", "step": i * per_epoch, "epoch": i, "wall": start_up + i * per_epoch * step_s,
                    "train_acc": acc})  # fmt: skip
    return rec("running", {"train": train}), evs


def test_eta_counts_steps_at_the_runs_own_pace_for_runs_that_fit_early_late_and_never():
    train = {"epochs": 100, "target_train_acc": 1.0, "max_steps": 0}
    # early: accuracy rises 5 points an epoch from 50 %, 10 epochs in -> fits in about 0 epochs more
    r, evs = _run(train, [0.5 + 0.05 * e for e in range(1, 11)])
    lo, hi = eta_range(r, evs)
    assert hi == 90 * 10 * 0.1  # 90 epochs left of 10 steps at 0.1 s: start-up is not the pace
    assert lo <= 1.0
    # late: 1 point an epoch from 40 % -> 50 more epochs; the range is there, the budget bounds it
    r, evs = _run(train, [0.4 + 0.01 * e for e in range(1, 11)])
    lo, hi = eta_range(r, evs)
    assert abs(lo - 50 * 10 * 0.1) < 1.0 and hi == 90.0
    # never: flat accuracy -> one ETA, the whole budget
    r, evs = _run(train, [0.3] * 10)
    assert eta_range(r, evs) == (90.0, 90.0)
    # no stopping rule: one ETA even while accuracy rises
    r, evs = _run({**train, "target_train_acc": 0.0}, [0.5 + 0.01 * e for e in range(1, 11)])
    assert eta_range(r, evs) == (90.0, 90.0)
    # a step budget shorter than the epochs: remaining steps of max_steps
    r, evs = _run({**train, "max_steps": 300}, [0.3] * 10)
    assert eta_range(r, evs) == (20.0, 20.0)


def test_eta_follows_a_slowdown():
    r, evs = _run({"epochs": 100, "target_train_acc": 0.0, "max_steps": 0}, [0.3] * 20)
    for e in evs[10:]:  # from epoch 11 the pace halves (another run took the core)
        e["wall"] = evs[9]["wall"] + (e["step"] - evs[9]["step"]) * 0.2
    assert eta_range(r, evs) == (80 * 10 * 0.2, 80 * 10 * 0.2)


def test_long_labels_are_cut_in_the_middle_so_their_ends_still_differ():
    a, b = "gaussian on 8000 ReLU features: true labels", "gaussian on 8000 ReLU features: random labels"
    ca, cb = middle(a, 26), middle(b, 26)
    assert len(ca) <= 26 and len(cb) <= 26 and ca != cb
    assert ca.endswith("true labels") and cb.endswith("random labels") and "…" in ca
    assert middle("short", 26) == "short"
