"""Progress and ETA as the tables show them: a stopped run's bar shows how far it got (never
full unless it finished), an ETA is a range while the run may fit before its budget ends."""

from __future__ import annotations

from overfit_tui.ui_text import bar, eta_range, fmt_eta, progress_of

SPEC = {"train": {"epochs": 100, "target_train_acc": 1.0}}


def rec(status: str) -> dict:
    return {"status": status, "spec": SPEC}


def test_progress_is_full_only_for_finished_runs():
    assert progress_of(rec("finished"), None) == 1.0  # fitted early still counts as done
    assert progress_of(rec("cancelled"), None) == 0.0  # cancelled before it started
    assert progress_of(rec("cancelled"), {"epoch": 30}) == 0.3
    assert progress_of(rec("failed"), {"epoch": 250}) == 1.0  # capped
    assert bar(0.3) == "█░░░░  30%" and bar(1.0) == "█████ 100%"


def test_eta_is_a_range_from_the_fit_trend():
    evs = [{"kind": "eval", "epoch": e, "wall": 1.0 * e, "train_acc": 0.5 + e / 100} for e in range(1, 21)]
    lo, hi = eta_range(rec("running"), evs)
    assert hi == 80.0  # 80 epochs left at 1 s each
    assert 25 <= lo <= 35  # accuracy rises 1 point per epoch from 70 %: about 30 epochs to fit
    assert fmt_eta((lo, hi)) == f"{lo:.0f}s-80s"
    flat = [{**e, "train_acc": 0.7} for e in evs]
    assert eta_range(rec("running"), flat) == (80.0, 80.0)  # no rise: the whole budget
    assert eta_range(rec("queued"), evs) is None and fmt_eta(None) == "-"
