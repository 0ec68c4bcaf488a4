"""Warm workers (runs/warm.py) with real processes on CPU: one worker serves jobs of two groups
in turn, survives a kill -9 of the scheduler and is adopted by the next one; a worker killed
mid-job loses that run only; a job that raises fails its runs, not the worker; an idle worker
leaves after its timeout, and then the scheduler too."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from overfit_tui.runs.launcher import cancel, launch, wait
from overfit_tui.runs.liveness import pid_alive
from overfit_tui.runs.queue import ensure_scheduler, scheduler_pid, update_state
from overfit_tui.studies.groups import group_from_dict

from .polling import HANG, wait_for

ONE = {
    "study": "randomization",
    "name": "w",
    "data": {"name": "mnist1d", "n_train": 200},
    "models": [{"name": "mlp", "width": 16}],
    "train": {"lr": 0.05, "lr_decay": 1.0, "batch_size": 100, "epochs": 4, "log_every": 2, "fuse": "off"},
    "params": {"corruption": [0.0], "inputs": []},
}


def _group(corruption=(0.0,), data=None, **train):
    return group_from_dict(
        {
            **ONE,
            "data": data or ONE["data"],
            "params": {**ONE["params"], "corruption": list(corruption)},
            "train": {**ONE["train"], **train},
        }
    )


@pytest.fixture
def warm(monkeypatch, store):
    monkeypatch.setenv("OVERFIT_TUI_WARM_S", "120")  # the scheduler and its workers inherit it
    update_state(store, cpu_slots=1)
    return store


def test_one_warm_worker_serves_two_groups_and_outlives_a_scheduler_kill_9(warm, tmp_path):
    store = warm
    a, _ = launch(store, _group(), devices=["cpu"])
    (ra,) = wait(store, a, timeout=HANG)
    b, _ = launch(store, _group((1.0,)), devices=["cpu"])
    (rb,) = wait(store, b, timeout=HANG)
    assert ra.status == rb.status == "finished"
    assert ra.pid == rb.pid  # the same process trained both groups' jobs
    pid = ra.pid
    assert (store.home.queue_dir / "workers" / f"{pid}.json").exists()
    from overfit_tui.runs.devices import device_report

    (cpu,) = [d for d in device_report(store) if d.name == "cpu"]
    assert cpu.idle == 1 and not cpu.runs  # `devices` sees the waiting worker holding its slot
    old = scheduler_pid(store.home)
    os.kill(old, signal.SIGKILL)
    assert wait_for(lambda: scheduler_pid(store.home) is None)
    assert pid_alive(pid)  # the worker is in its own session: the scheduler's death leaves it
    c, _ = launch(store, _group((0.5,)), devices=["cpu"])  # starts a scheduler, which adopts the worker
    (rc,) = wait(store, c, timeout=HANG)
    assert scheduler_pid(store.home) not in (None, old)
    assert rc.status == "finished" and rc.pid == pid  # adopted: it holds the one slot and trains on
    # a job that raises (no CIFAR-10 here) fails its runs; the worker serves the next group
    d, _ = launch(store, _group(data={"name": "cifar10"}), devices=["cpu"], data_dir=tmp_path / "empty")
    (rd,) = wait(store, d, timeout=HANG)
    assert rd.status == "failed" and "DataUnavailable" in rd.error and rd.pid == pid
    e, _ = launch(store, _group(), devices=["cpu"])
    (re,) = wait(store, e, timeout=HANG)
    assert re.status == "finished" and re.pid == pid
    assert "warm worker" not in Path(re.log).read_text()  # the worker's own lines stay in queue/workers


def test_a_warm_worker_killed_mid_job_loses_that_run_only(warm):
    store = warm
    gid, _ = launch(store, _group((0.0, 1.0), epochs=100000, target_train_acc=0.0), devices=["cpu"])
    assert wait_for(lambda: store.runs(gid)[0].status == "running" and len(store.metrics(store.runs(gid)[0].id)))
    victim, other = store.runs(gid)
    assert other.status == "queued"  # one slot
    os.kill(victim.pid, signal.SIGKILL)
    assert wait_for(lambda: store.get_run(victim.id).status == "lost")
    assert store.metrics(victim.id)  # its curves are kept
    assert wait_for(lambda: store.get_run(other.id).status == "running")  # a new worker takes the next job
    assert store.get_run(other.id).pid not in (None, victim.pid)
    cancel(store, gid)
    runs = wait(store, gid, timeout=HANG)
    assert [r.status for r in runs] == ["lost", "cancelled"]


def test_an_idle_warm_worker_leaves_and_the_scheduler_after_it(monkeypatch, store):
    monkeypatch.setenv("OVERFIT_TUI_WARM_S", "1")
    gid, _ = launch(store, _group(), devices=["cpu"])
    (r,) = wait(store, gid, timeout=HANG)
    assert r.status == "finished"
    assert wait_for(lambda: not pid_alive(r.pid))
    assert wait_for(lambda: scheduler_pid(store.home) is None)
    assert not list((store.home.queue_dir / "workers").glob("*.json"))  # it unregistered
    assert ensure_scheduler(store) is not None  # and nothing was left behind to adopt
    assert wait_for(lambda: scheduler_pid(store.home) is None)


def test_warm_workers_off_starts_one_process_per_job(monkeypatch, store):
    monkeypatch.setenv("OVERFIT_TUI_WARM_S", "0")
    update_state(store, cpu_slots=1)
    gid, _ = launch(store, _group((0.0, 1.0)), devices=["cpu"])
    runs = wait(store, gid, timeout=HANG)
    assert [r.status for r in runs] == ["finished", "finished"]
    assert runs[0].pid != runs[1].pid
    assert not (store.home.queue_dir / "workers").exists()
