"""The CLI's run lists as a user reads them in an 80-column terminal or a pipe: no number cut,
status and progress for active runs, copyable --detach commands; Ctrl+C during `run` exits
nonzero and prints no study figures from half-trained runs."""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys

from overfit_tui.core.schema import Field
from overfit_tui.ui_text import runs_table

from ..conftest import TINY_TOML
from ..runs.polling import HANG, wait_for
from ..ui.finished_store import load_into


def cli(*args, home, columns=80, **kw):
    env = {**os.environ, "COLUMNS": str(columns)}
    return subprocess.run(
        [sys.executable, "-m", "overfit_tui", *args, "--home", str(home)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        **kw,
    )


def test_runs_at_80_columns_cut_no_number(home):
    load_into(home)
    out = cli("runs", home=home.root)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    from overfit_tui.store import Store

    for r in Store(home).runs():
        acc = (r.get("summary") or {}).get("final_test_acc")
        if acc is not None:  # every test accuracy is printed whole, as its field formats it
            assert f"{100 * acc:.1f}%" in out.stdout, (r["label"], acc)
    assert "hidden at 80 columns:" in out.stdout  # what did not fit is named, not cut


def test_active_runs_show_status_progress_and_eta():
    f = Field("final_test_acc", "test acc", "%", ".1f", "higher", priority=1)
    spec = {"train": {"epochs": 100, "target_train_acc": 1.0}}
    runs = [
        {"id": "a" * 13, "label": "true labels", "status": "running", "spec": spec, "summary": {}},
        {"id": "b" * 13, "label": "random labels", "status": "queued", "spec": spec, "summary": {}},
        {"id": "c" * 13, "label": "p=0.5", "status": "finished", "spec": spec, "summary": {"final_test_acc": 0.5}},
    ]
    evals = [
        {"kind": "eval", "epoch": e, "step": 10 * e, "wall": 2.0 * e, "train_acc": 0.5 + e / 100, "test_acc": 0.4}
        for e in (10, 20)
    ]
    from rich.console import Console

    t, hidden = runs_table(runs, [f], {"a" * 13: evals}, 120)
    console = Console(width=120, record=True, file=io.StringIO())
    console.print(t)
    text = console.export_text()
    assert hidden == ["device"] or hidden == []
    row = next(line for line in text.splitlines() if line.startswith("a" * 13))
    assert "running" in row and "20%" in row and "40.0%~" in row  # live test acc, marked as live
    assert re.search(r"\d+s-\d+[sm]", row)  # ETA as a range: fits early at this pace, or trains on
    assert "not fitted" not in text
    assert "50.0%" in next(line for line in text.splitlines() if line.startswith("c" * 13))


def test_detach_commands_are_not_wrapped_in_a_pipe(tmp_path):
    preset = tmp_path / "tiny-detach.toml"
    preset.write_text(TINY_TOML)
    home = tmp_path / "home"
    out = cli("run", str(preset), "--device", "cpu", "--detach", home=home, columns=40)
    assert out.returncode == 0, out.stderr
    gid = re.search(r"cancel (\S+)", out.stdout).group(1)
    assert f"overfit-tui cancel {gid}" in out.stdout.splitlines()[-1]
    cli("cancel", gid, home=home)


def test_ctrl_c_during_run_exits_nonzero_without_figures(tmp_path):
    preset = tmp_path / "tiny-int.toml"
    preset.write_text(TINY_TOML.replace("epochs = 30", "epochs = 100000").replace("lr = 0.05", "lr = 0.000001"))
    home = tmp_path / "home"
    env = {**os.environ, "COLUMNS": "100"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "overfit_tui", "run", str(preset), "--device", "cpu", "--home", str(home)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    from overfit_tui.core.paths import Home
    from overfit_tui.store import Store

    store = Store(Home.resolve(home))
    try:
        # wait on states, under the one hang ceiling (a loaded machine is slow, never this slow)
        assert wait_for(lambda: any(r["status"] == "running" for r in store.runs()))
        proc.send_signal(signal.SIGINT)
        try:
            stdout, stderr = proc.communicate(timeout=HANG)
        except subprocess.TimeoutExpired:
            log = home / "queue" / "scheduler.log"
            states = [(r["id"], r["status"]) for r in store.runs()]
            raise AssertionError(
                f"run did not stop after SIGINT: {states}; {log.read_text()[-2000:] if log.exists() else ''}"
            ) from None
    finally:  # a 100,000-epoch run must never outlive a failed test
        from ..conftest import _kill_leftovers

        proc.kill()
        _kill_leftovers(Home.resolve(home))
    assert proc.returncode == 130, (stdout[-2000:], stderr[-2000:])
    assert "interrupted" in stderr and "cancelled" in stdout
    assert "Test error vs label corruption" not in stdout  # no figure from half-trained runs
    assert {r["status"] for r in store.runs()} == {"cancelled"}
