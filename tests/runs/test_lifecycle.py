"""Run lifecycle with real processes on CPU: scheduler, workers, kill -9, detach, NaN, cancel."""

from __future__ import annotations

import math
import os
import pickle
import signal
import subprocess
import sys

import pytest

from overfit_tui.runs.launcher import cancel, launch, wait
from overfit_tui.runs.liveness import reconcile
from overfit_tui.studies.groups import group_from_dict

from .polling import HANG, wait_for

TINY = {
    "study": "randomization",
    "name": "tiny",
    "data": {"name": "mnist1d", "n_train": 500},
    "models": [{"name": "mlp", "width": 64}],
    "train": {"lr": 0.05, "lr_decay": 1.0, "batch_size": 100, "epochs": 40, "log_every": 5},
    "params": {"corruption": [0.0, 1.0], "inputs": []},
}


def _group(**train):
    raw = dict(TINY)
    raw["train"] = {**TINY["train"], **train}
    return group_from_dict(raw)


def test_group_runs_in_workers_and_is_recorded(store):
    gid, _ = launch(store, _group(), devices=["cpu"])
    runs = wait(store, gid, timeout=HANG)
    assert [r.status for r in runs] == ["finished", "finished"]
    for r in runs:
        assert r.pid and r.pid != os.getpid()  # trained in a worker process
        assert r.provenance["torch"] and r.provenance["host"]
        assert r.summary["final_train_acc"] > 0.5
        evs = store.metrics(r.id)
        assert any(e["kind"] == "eval" for e in evs) and any(e["kind"] == "step" for e in evs)
        assert os.path.exists(r.log)  # worker output goes to the run's log, not the terminal


def test_nan_spec_ends_diverged(store):
    gid, _ = launch(store, _group(lr=1e6, momentum=0.9), devices=["cpu"])
    runs = wait(store, gid, timeout=HANG)
    assert {r.status for r in runs} == {"diverged"}
    assert all(store.metrics(r.id) for r in runs)  # partial curves kept
    for r in runs:  # final_* are the last finite evaluation (engine/loop.py marks its epoch when it diverged)
        assert math.isfinite(r.summary["final_train_loss"])


def test_kill_9_worker_marks_lost_and_keeps_curves(store):
    group = _group(epochs=100000, target_train_acc=0.0, fuse="off")
    gid, _ = launch(store, group, devices=["cpu"], per_device=2)
    assert wait_for(
        lambda: (
            sum(r.status == "running" for r in store.runs(gid)) == 2
            and all(len(store.metrics(r.id)) > 3 for r in store.runs(gid))
        )
    )
    victim, other = store.runs(gid)
    os.kill(victim.pid, signal.SIGKILL)
    assert wait_for(lambda: store.get_run(victim.id).status == "lost")
    assert len(store.metrics(victim.id)) > 3
    n = len(store.metrics(other.id))
    assert wait_for(lambda: len(store.metrics(other.id)) > n + 2)  # the other run goes on
    assert store.get_run(other.id).status == "running"
    cancel(store, gid)
    runs = wait(store, gid, timeout=HANG)
    assert {r.id: r.status for r in runs} == {victim.id: "lost", other.id: "cancelled"}


def test_detached_runs_survive_their_launcher(home, store):
    code = (
        "import sys, time\n"
        "from overfit_tui.core.paths import Home\n"
        "from overfit_tui.store import Store\n"
        "from overfit_tui.runs.launcher import launch\n"
        "from tests.runs.test_lifecycle import _group\n"
        f"gid, _ = launch(Store(Home.resolve({str(home.root)!r})), _group(epochs=60), devices=['cpu'])\n"
        "print(gid, flush=True)\n"
        "time.sleep(600)\n"
    )
    repo = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))
    launcher = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, cwd=repo)
    gid = launcher.stdout.readline().strip()
    assert gid
    launcher.kill()  # kill -9 of the launching process
    launcher.wait()
    runs = wait(store, gid, timeout=HANG)
    assert [r.status for r in runs] == ["finished", "finished"]


def test_cancel_queued_and_running(store):
    group = _group(epochs=100000, target_train_acc=0.0, fuse="off")
    gid, _ = launch(store, group, devices=["cpu"], per_device=1)
    assert wait_for(lambda: store.runs(gid)[0].status == "running")
    assert store.runs(gid)[1].status == "queued"
    cancel(store, gid)
    runs = wait(store, gid, timeout=HANG)
    assert [r.status for r in runs] == ["cancelled", "cancelled"]
    assert store.metrics(runs[0].id)  # its partial curves stay


def test_reconcile_marks_running_run_without_process_lost(store):
    from overfit_tui.runs.records import new_run_records
    from overfit_tui.studies import get_study

    group = _group()
    runs = get_study("randomization").expand(group)
    recs = new_run_records("g", runs[:1], [[0]], None)
    recs[0].update(status="running", pid=2**22 + 12345)  # no such process
    store.add_runs(recs)
    assert reconcile(store) == [recs[0]["id"]]
    assert store.get_run(recs[0]["id"]).status == "lost"


def test_crash_marks_failed_with_traceback(store, tmp_path):
    raw = {**TINY, "data": {"name": "cifar10"}}  # not on disk, download not allowed: the worker raises
    gid, _ = launch(store, group_from_dict(raw), devices=["cpu"], data_dir=tmp_path / "empty")
    runs = wait(store, gid, timeout=HANG)
    assert {r.status for r in runs} == {"failed"}
    assert all("DataUnavailable" in r.error and "Traceback" in r.error for r in runs)


def test_checkpoints_round_trip_weights_only(tmp_path):
    import torch

    from overfit_tui.engine.checkpoints import list_checkpoints, load_checkpoint, save_checkpoint

    state = {"w": torch.randn(3, 4), "b": torch.zeros(4)}
    path = save_checkpoint(tmp_path, "epoch-0003", state)
    assert list_checkpoints(tmp_path) == ["epoch-0003"]
    back = load_checkpoint(path)
    assert all(torch.equal(back[k], state[k]) for k in state)
    torch.save({"evil": object()}, tmp_path / "checkpoints" / "bad.pt")
    with pytest.raises(pickle.UnpicklingError):
        load_checkpoint(tmp_path / "checkpoints" / "bad.pt")  # arbitrary objects are refused
