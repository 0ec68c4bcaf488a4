"""Is a run's process still there? pid checks (zombies count as gone) and heartbeat age."""

from __future__ import annotations

import os
import socket
import time

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


def reconcile(store: Store) -> list[str]:
    """Mark runs whose worker (or, while queued, scheduler) vanished as lost; return their ids."""
    host = socket.gethostname()
    lost = []
    groups = {g["id"]: g for g in store.groups()}
    for r in store.runs():
        if r["status"] == "running" and r.get("provenance", {}).get("host", host) == host:
            beat = store.home.run_dir(r["id"]) / "heartbeat"
            age = time.time() - beat.stat().st_mtime if beat.exists() else float("inf")
            if not pid_alive(r.get("pid")) or age > STALE_S:
                if store.transition(
                    r["id"],
                    ("running",),
                    status="lost",
                    ended=time.time(),
                    error="worker process vanished (killed, crashed hard, or machine restarted)",
                ):
                    lost.append(r["id"])
        elif r["status"] == "queued":
            g = groups.get(r["group"], {})
            created = g.get("created", r.get("created", 0))
            if time.time() - created > 10 and not pid_alive(g.get("scheduler_pid")):
                if store.transition(
                    r["id"],
                    ("queued",),
                    status="lost",
                    ended=time.time(),
                    error="its scheduler exited before starting it",
                ):
                    lost.append(r["id"])
    return lost
