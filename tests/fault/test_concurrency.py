"""No update is lost and no run is trained twice: 24 concurrent `tag` commands, 24 workers
racing to claim the same runs, restarts in the same second, two real workers started for
one run, and liveness that does not declare a stopped-but-alive worker lost."""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import subprocess
import sys
import time

from overfit_tui.runs import launcher
from overfit_tui.runs.launcher import restart
from overfit_tui.runs.liveness import reconcile
from overfit_tui.runs.records import new_run_records
from overfit_tui.runs.worker import claim, record
from overfit_tui.store import Store
from overfit_tui.studies import get_study
from overfit_tui.studies.groups import group_from_dict

from .conftest import group_record, run_record

N = 24
FORK = mp.get_context("fork")  # cheap processes: only store code runs in them


def test_24_concurrent_tag_commands_lose_nothing(home, store):
    store.add_group(group_record())
    store.add_runs([run_record("aa-run0"), run_record("bb-run1", index=1)])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    procs = []
    for k in range(N):
        ref = "g-0101-000000-00000000" if k % 2 else "aa"  # the group (both runs), or run 0 by prefix
        tags = [f"t{k}{c}" for c in "abcd"]
        cmd = [sys.executable, "-m", "overfit_tui", "tag", ref, *tags, "--home", str(home.root)]
        procs.append(subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True))
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    run0, run1 = store.runs()
    assert sorted(run0.tags) == sorted(f"t{k}{c}" for k in range(N) for c in "abcd")  # 96 of 96
    assert sorted(run1.tags) == sorted(f"t{k}{c}" for k in range(1, N, 2) for c in "abcd")  # 48 of 48
    assert store.problems() == []


def _claimer(root: str, ids: list[str], go, out) -> None:
    from overfit_tui.core.paths import Home

    store = Store(Home.resolve(root))
    go.wait()
    out.put((os.getpid(), claim(store, ids)))


def test_24_workers_racing_for_8_runs_claim_each_once(home, store):
    ids = [f"q{i}-run" for i in range(8)]
    store.add_runs([run_record(i, status="queued", index=k) for k, i in enumerate(ids)])
    go, out = FORK.Event(), FORK.Queue()
    procs = [FORK.Process(target=_claimer, args=(str(home.root), ids, go, out)) for _ in range(N)]
    for p in procs:
        p.start()
    go.set()
    wins = [out.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(60)
    claimed = [rid for _, got in wins for rid in got]
    assert sorted(claimed) == sorted(ids)  # every run claimed exactly once: 0 double claims
    owner = {rid: pid for pid, got in wins for rid in got}
    for r in store.runs():
        assert r.status == "running" and r.pid == owner[r.id]
    # a worker records only runs it owns; one that was wrongly marked lost gets its real outcome
    store.update_run(ids[0], status="lost", error="stale heartbeat", pid=os.getpid())
    assert record(store, ids[0], status="finished", error=None, ended=time.time())
    assert store.get_run(ids[0]).status == "finished" and store.get_run(ids[0]).error is None
    assert not record(store, ids[1], status="failed")  # not ours: untouched
    assert store.get_run(ids[1]).status == "running"
    store.update_runs(ids, pid=None)  # (the fixture's clean-up kills recorded pids)


def test_restarts_in_the_same_second_make_distinct_groups(home, store, monkeypatch):
    store.add_runs([run_record("old-run", status="failed")])
    monkeypatch.setattr(launcher, "start_scheduler", lambda *a, **k: None)  # records only, no training here
    out = FORK.Queue()
    procs = [FORK.Process(target=lambda: out.put(restart(store, "old-run", ["cpu"]))) for _ in range(8)]
    for p in procs:
        p.start()
    gids = [out.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(60)
    assert len(set(gids)) == 8  # a random suffix: no two restarts share a group
    new = [r for r in store.runs() if r.id != "old-run"]
    assert len(new) == 8 and len({r.id for r in new}) == 8 and {r.group for r in new} == set(gids)
    assert store.get_run("old-run").status == "failed"  # the original stays


TINY = {
    "study": "randomization",
    "name": "tiny",
    "data": {"name": "mnist1d", "n_train": 200},
    "models": [{"name": "mlp", "width": 16}],
    "train": {"lr": 0.05, "lr_decay": 1.0, "batch_size": 100, "epochs": 4, "log_every": 1, "target_train_acc": 0},
    "params": {"corruption": [0.0], "inputs": []},
}


def _steps(store, run_id) -> list[int]:
    return [e["step"] for e in store.metrics(run_id) if e["kind"] == "step"]


def test_two_workers_started_for_one_run_train_it_once(home, store):
    group = group_from_dict(TINY)
    runs = get_study("randomization").expand(group)
    (rec,) = new_run_records("g-0101-000000-00000000", runs, [[0]], None)
    store.add_runs([rec])
    cmd = [sys.executable, "-m", "overfit_tui.runs.worker", "--home", str(home.root), "--device", "cpu", rec["id"]]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    procs = [
        subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, text=True) for _ in range(2)
    ]
    outs = [p.communicate(timeout=120)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    assert sum("claimed by another worker" in o for o in outs) == 1, outs
    run = store.get_run(rec["id"])
    assert run.status == "finished" and run.pid in [p.pid for p in procs]
    steps = _steps(store, rec["id"])
    assert steps == sorted(set(steps))


def test_a_stopped_worker_is_not_lost_a_dead_one_is(store):
    rec = run_record("live-run", status="running", provenance={})
    store.add_runs([rec])
    # a stand-in worker: its command line names the worker module and the run, as the scheduler's does
    fake = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(120)", "overfit_tui.runs.worker", rec["id"]]
    )
    try:
        store.update_run(rec["id"], pid=fake.pid)
        os.kill(fake.pid, signal.SIGSTOP)  # no heartbeat at all, but the process is there
        assert reconcile(store) == [] and store.get_run(rec["id"]).status == "running"
        os.kill(fake.pid, signal.SIGCONT)
    finally:
        fake.kill()
        fake.wait()
    assert reconcile(store) == [rec["id"]] and store.get_run(rec["id"]).status == "lost"
    # a live pid that is not our worker (pid reuse) with no heartbeat is lost too
    other = subprocess.Popen(["sleep", "60"])
    try:
        store.add_runs([run_record("reused-pid", status="running", pid=other.pid, provenance={})])
        assert reconcile(store) == ["reused-pid"]
    finally:
        other.kill()
        other.wait()
