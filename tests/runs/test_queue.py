"""The home's one queue with real processes on CPU: five groups share the slots in queue order,
priority reorders, pause holds, one scheduler per home, and kill -9 of the scheduler re-adopts
the live workers (not lost, not trained twice) while queued runs still start."""

from __future__ import annotations

import json
import os
import signal
import time

from overfit_tui.runs.launcher import cancel, launch, wait
from overfit_tui.runs.liveness import reconcile
from overfit_tui.runs.queue import (
    ensure_scheduler,
    queue_positions,
    scheduler_pid,
    set_priority,
    update_state,
)
from overfit_tui.runs.scheduler import take_lock
from overfit_tui.studies.groups import group_from_dict

from .polling import HANG, wait_for

ONE = {
    "study": "randomization",
    "name": "q",
    "data": {"name": "mnist1d", "n_train": 200},
    "models": [{"name": "mlp", "width": 16}],
    "train": {"lr": 0.05, "lr_decay": 1.0, "batch_size": 100, "epochs": 4, "log_every": 2, "fuse": "off"},
    "params": {"corruption": [0.0], "inputs": []},
}


def _group(corruption=(0.0,), **train):
    return group_from_dict(
        {**ONE, "params": {**ONE["params"], "corruption": list(corruption)}, "train": {**ONE["train"], **train}}
    )


def test_five_groups_share_the_slots_in_queue_order_priority_first(store):
    update_state(store, paused=True, cpu_slots=2)
    gids = [launch(store, _group(), devices=["cpu"])[0] for _ in range(5)]
    assert set_priority(store, gids[3], 5) == [gids[3]]
    time.sleep(1.0)  # paused: the scheduler started by launch found nothing it may start
    assert all(r.status == "queued" for r in store.runs())
    pos = queue_positions(store)
    assert [pos[store.runs(g)[0].id] for g in gids] == [2, 3, 4, 1, 5]
    update_state(store, paused=False)
    ensure_scheduler(store)
    runs = {g: wait(store, g, timeout=HANG)[0] for g in gids}
    assert all(r.status == "finished" for r in runs.values())
    order = sorted(gids, key=lambda g: runs[g].dispatched)
    assert order == [gids[3], gids[0], gids[1], gids[2], gids[4]]
    spans = [(r.dispatched, r.ended) for r in runs.values()]
    for t, _ in spans:  # when each started, at most 2 workers (itself included) were busy
        assert sum(a <= t < b for a, b in spans) <= 2
    assert sum(a <= spans[0][0] < b for a, b in spans) >= 1
    assert wait_for(lambda: scheduler_pid(store.home) is None)  # idle: it exits


def test_one_scheduler_per_home_and_a_stale_lock_is_taken_over(home):
    fd = take_lock(home, wait_s=0)
    assert fd is not None
    assert take_lock(home, wait_s=0.3) is None  # a second scheduler of the same home leaves
    assert scheduler_pid(home) == os.getpid()
    os.close(fd)  # what the kernel does when a scheduler is killed
    (home.queue_dir / "scheduler.lock").write_text(json.dumps({"pid": os.getpid(), "start": 1}))
    assert scheduler_pid(home) is None  # a reused pid (another start time) is not the scheduler
    fd = take_lock(home, wait_s=0.3)
    assert fd is not None and scheduler_pid(home) == os.getpid()
    os.close(fd)
    (home.queue_dir / "scheduler.lock").unlink()  # this test process is no scheduler to clean up


def test_kill_9_of_the_scheduler_readopts_live_workers(store):
    update_state(store, cpu_slots=1)
    gid, _ = launch(store, _group((0.0, 1.0), epochs=100000, target_train_acc=0.0), devices=["cpu"])
    assert wait_for(lambda: store.runs(gid)[0].status == "running" and store.metrics(store.runs(gid)[0].id))
    first, second = store.runs(gid)
    assert second.status == "queued"  # one slot
    old = scheduler_pid(store.home)
    os.kill(old, signal.SIGKILL)
    assert wait_for(lambda: scheduler_pid(store.home) is None)
    reconcile(store)
    assert store.get_run(first.id).status == "running"  # its worker lives: not lost
    assert ensure_scheduler(store) is not None  # what the next launch or app start does
    assert wait_for(lambda: scheduler_pid(store.home) not in (None, old))
    time.sleep(2.0)
    assert store.get_run(second.id).status == "queued"  # the adopted worker holds the one slot
    n = len(store.metrics(first.id))
    assert wait_for(lambda: len(store.metrics(first.id)) > n)  # still training, same process
    assert store.get_run(first.id).pid == first.pid
    cancel(store, first.id)
    assert wait_for(lambda: store.get_run(second.id).status == "running")  # queued runs start
    cancel(store, gid)
    runs = wait(store, gid, timeout=HANG)
    assert [r.status for r in runs] == ["cancelled", "cancelled"]


def test_queue_commands_and_positions_in_runs(cli, store, tmp_path):
    from ..conftest import TINY_TOML

    preset = tmp_path / "tiny.toml"
    preset.write_text(TINY_TOML.replace("log_every = 3", 'log_every = 3\nfuse = "off"'))  # two jobs
    assert cli("queue", "pause")[0] == 0
    code, out, err = cli("run", str(preset), "--detach", "--priority", "2")
    assert code == 0, err
    gid = out.split("group ")[1].split(":")[0]
    code, out, _ = cli("runs")
    assert code == 0 and "queued #1" in out and "queued #2" in out
    code, out, _ = cli("queue")
    assert "paused" in out and "#2" in out and gid in out and "priority 2" in out
    code, _, err = cli("priority", gid, "5000")
    assert code == 2 and "-1000 to 1000" in err and len(err.strip().splitlines()) == 1
    code, _, err = cli("run", str(preset), "--backend", "spark")
    assert code == 2 and "one of local, ray" in err
    cancel(store, gid)
    assert {r.status for r in store.runs(gid)} == {"cancelled"}


def test_devices_shows_slots_and_the_runs_on_each(cli, store):
    from ..fault.conftest import group_record, run_record

    store.add_runs([run_record("dev-run", status="running", pid=os.getpid(), device="cpu")], [group_record()])
    update_state(store, cpu_slots=3)
    try:
        code, out, err = cli("devices")
    finally:
        store.update_runs(["dev-run"], pid=None)  # (the fixture's clean-up kills recorded pids)
    assert code == 0, err
    assert "dev-run" in out and "1/3" in out and "GiB" in out
