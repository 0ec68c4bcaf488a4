"""Exit codes a script can trust: `overfit-tui run` exits 1 when any run of its group failed,
was lost or diverged, with one line per run saying why and a count; 0 when every run ended
well; --detach returns 0 once the runs are queued (their outcome is for `runs` to say)."""

from __future__ import annotations

from overfit_tui.cli.runs import SHOWN_MAX, ended_badly
from overfit_tui.core.records import RunRecord

from ..conftest import TINY_TOML
from ..fault.conftest import run_record


def _record(rid: str, **kw) -> RunRecord:
    """A run as the store returns it (typed)."""
    return RunRecord.from_dict(run_record(rid, **kw))


def _preset(tmp_path):
    path = tmp_path / "tiny.toml"
    path.write_text(TINY_TOML)
    return str(path)


def test_run_exits_1_and_says_why_when_runs_diverge(cli, tmp_path):
    code, out, err = cli("run", _preset(tmp_path), "--set", "train.lr=1e6", "--device", "cpu")
    assert code == 1 and "Traceback" not in err, err
    lines = err.splitlines()
    assert sum("diverged: its loss became NaN or infinite" in ln for ln in lines) == 2, err
    assert lines[-1].startswith("error: 2 of 2 run(s) did not end well (2 diverged)"), err
    assert all(ln.startswith("error: ") for ln in lines), err


def test_run_exits_0_when_every_run_finishes(cli, tmp_path):
    code, out, err = cli("run", _preset(tmp_path), "--set", "train.epochs=3", "--device", "cpu")
    assert code == 0 and "error" not in err, err


def test_one_line_per_run_that_ended_badly_with_its_reason():
    tb = 'Traceback (most recent call last):\n  File "x.py", line 1\nDataUnavailable: cifar10 is not in /data\n'
    runs = [
        _record("ok-run"),
        _record("crashed", status="failed", error=tb),
        _record("gone", status="lost", error="worker process vanished (killed, crashed hard, or machine restarted)"),
        _record("nan", status="diverged"),
        _record("stopped", status="cancelled"),
    ]
    lines = ended_badly(runs)
    assert lines == [
        "run crashed (run crashed) failed: DataUnavailable: cifar10 is not in /data",
        "run gone (run gone) lost: worker process vanished (killed, crashed hard, or machine restarted)",
        "run nan (run nan) diverged: its loss became NaN or infinite",
        "3 of 5 run(s) did not end well (1 failed, 1 lost, 1 diverged): exit status 1",
    ]
    assert ended_badly([runs[0], runs[4]]) == []  # finished and cancelled runs are no failure
    many = ended_badly([_record(f"f{i}", status="failed", error="boom") for i in range(SHOWN_MAX + 5)])
    assert len(many) == SHOWN_MAX + 2 and "and 5 more" in many[-2] and many[-1].startswith("25 of 25")
