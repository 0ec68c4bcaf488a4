"""Is a run's process still there? The pid first (zombies count as gone), the heartbeat only
when the pid cannot tell: a worker that is stopped (SIGSTOP, a suspended laptop) but alive
is not lost, and a pid reused by another program after a reboot is not our worker."""

from __future__ import annotations

import os
import socket
import time

from overfit_tui.core.records import RunRecord
from overfit_tui.core.status import Status
from overfit_tui.store import Store

STALE_S = 30.0  # a heartbeat older than this means the worker is gone


def pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


def is_worker(pid: int, run_id: str) -> bool | None:
    """Whether process `pid` is an overfit-tui worker for `run_id` (one started for it, or a warm
    worker, runs/warm.py, which serves job after job); None when /proc cannot tell."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            argv = f.read().split(b"\0")
    except OSError:
        return None
    return b"overfit_tui.runs.worker" in argv and (run_id.encode() in argv or b"--warm" in argv)


def worker_gone(run: RunRecord, beat_age: float) -> bool:
    """Pid first: a dead pid is gone, a live worker is not (whatever its heartbeat); else the heartbeat decides."""
    pid = run.pid
    if not pid_alive(pid):
        return True
    if run.ray:  # a Ray task's pid is the driver's (the home's scheduler): it lives while the driver does
        return False
    ours = is_worker(pid, run.id)
    if ours is not None:
        return not ours
    return beat_age > STALE_S


def reconcile(store: Store) -> list[str]:
    """Mark running runs whose worker vanished as lost; return their ids. (A queued run waits in
    the home's queue: a dead scheduler is restarted by the next launch or app start.)
    Reads only the groups with queued or running runs (the store's index knows them)."""
    if store.read_only:
        return []  # nothing can be marked in a read-only home; listing it still works
    host = socket.gethostname()
    lost = []
    for gid in store.active_groups():
        _, runs = store.group_runs(gid)
        for r in runs:
            if r.status is Status.RUNNING and (r.ray or r.provenance.get("host", host) == host):
                if _worker_lost(store, r):
                    lost.append(r.id)
    return lost


def _worker_lost(store: Store, r: RunRecord) -> bool:
    """Mark a running run lost if its worker is gone; True if it was marked."""
    beat = store.home.run_dir(r.id) / "heartbeat"
    try:
        age = time.time() - beat.stat().st_mtime
    except OSError:
        age = float("inf")
    if not worker_gone(r, age):
        return False
    return store.transition(
        r.id,
        (Status.RUNNING,),
        only_if=lambda rec, pid=r.pid: rec.get("pid") == pid,
        status=Status.LOST,
        ended=time.time(),
        error="worker process vanished (killed, crashed hard, or machine restarted)",
    )
