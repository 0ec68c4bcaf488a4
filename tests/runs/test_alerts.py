"""Alerts: news only, once each; ends, bad ends, stalls and verdict changes."""

from __future__ import annotations

from overfit_tui.runs.alerts import Alerts, RunState


def test_the_first_look_is_no_news_then_each_end_is_said_once():
    a = Alerts(stall_s=60)
    assert a.runs([RunState("r1", "mlp", "finished"), RunState("r2", "cnn", "running", 0.0)], now=1.0) == []
    news = a.runs([RunState("r1", "mlp", "finished"), RunState("r2", "cnn", "diverged", 0.0)], now=2.0)
    assert [(x.kind, x.severity) for x in news] == [("bad", "error")] and "r2 (cnn) diverged" in news[0].text
    assert a.runs([RunState("r2", "cnn", "diverged", 0.0)], now=3.0) == []


def test_a_running_run_that_logs_nothing_for_stall_s_is_said_to_stall_once():
    a = Alerts(stall_s=60)
    assert a.runs([RunState("r", "x", "running", 100.0)], now=150.0) == []
    (news,) = a.runs([RunState("r", "x", "running", 100.0)], now=161.0)
    assert news.kind == "stalled" and "1 min" in news.text
    assert a.runs([RunState("r", "x", "running", 100.0)], now=400.0) == []  # once
    assert a.runs([RunState("r", "x", "running", 390.0)], now=400.0) == []  # it logs again
    (done,) = a.runs([RunState("r", "x", "finished", 390.0)], now=401.0)
    assert done.kind == "ended" and done.severity == "information"


def test_a_verdict_that_changes_is_news():
    a = Alerts()
    assert a.verdicts("g1", [("peak", "pending")]) == []
    assert a.verdicts("g1", [("peak", "pending")]) == []
    (news,) = a.verdicts("g1", [("peak", "fails")])
    assert "'peak' pending -> fails" in news.text and news.severity == "error"
