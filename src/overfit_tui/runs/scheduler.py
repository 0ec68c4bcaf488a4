"""Scheduler process: places a group's jobs on devices, a few at a time, and watches them.

Launched detached (own session, survives the terminal); spawns one worker per job with
`--device` set, at most `per_device` at once per device; a worker that exits leaving
runs unrecorded (kill -9, OOM) has those runs marked lost, with their curves kept. Only
runs that worker owned (its pid) are touched: a run is claimed by exactly one worker.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

from overfit_tui.core.paths import Home
from overfit_tui.core.system import available_cores, worker_threads
from overfit_tui.store import Store

POLL_S = 0.3


def cpu_slots() -> int:
    n = available_cores()
    return max(1, n if n <= 4 else n // 2)


def spawn_worker(
    home: Home, run_ids: list[str], device: str, data_dir: str | None, download: bool, threads: int | None
) -> subprocess.Popen:
    log = home.run_dir(run_ids[0]) / "worker.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "overfit_tui.runs.worker", "--home", str(home.root), "--device", device]
    if data_dir:
        cmd += ["--data-dir", data_dir]
    if download:
        cmd.append("--download")
    env = dict(os.environ)
    if threads and device == "cpu":
        env["OVERFIT_TUI_THREADS"] = str(threads)
    with open(log, "ab") as out:
        return subprocess.Popen(
            cmd + run_ids,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
        )


def schedule(
    home: Home, group_id: str, devices: list[str], per_device: int, data_dir: str | None, download: bool
) -> None:
    store = Store(home)
    runs = store.runs(group_id)
    jobs: dict[int, list[str]] = {}
    for r in runs:
        jobs.setdefault(r.get("job", r["index"]), []).append(r["id"])
    pending = [jobs[k] for k in sorted(jobs)]
    free = {d: per_device for d in devices}
    threads = None
    if devices == ["cpu"]:
        threads = worker_threads(min(per_device, len(pending)))
    running: list[tuple[subprocess.Popen, str, list[str]]] = []
    while pending or running:
        for item in list(running):
            proc, dev, ids = item
            if proc.poll() is None:
                continue
            running.remove(item)
            free[dev] += 1
            for rid in ids:
                store.transition(
                    rid,
                    ("queued", "running"),
                    only_if=lambda r, pid=proc.pid: r.get("pid") == pid,
                    status="lost",
                    ended=time.time(),
                    error=f"worker exited with code {proc.returncode} without recording this run",
                )
        while pending and any(v > 0 for v in free.values()):
            ids = pending.pop(0)
            queued = [r for r in ids if (store.get_run(r) or {}).get("status") == "queued"]
            if not queued:
                continue
            dev = max(free, key=lambda d: free[d])
            free[dev] -= 1
            proc = spawn_worker(home, queued, dev, data_dir, download, threads)
            log = str(home.run_dir(queued[0]) / "worker.log")
            store.modify_runs(queued, lambda r, pid=proc.pid, dev=dev, log=log: _assign(r, pid, dev, log))
            running.append((proc, dev, queued))
        time.sleep(POLL_S)
    store.update_group(group_id, scheduler_pid=None, ended=time.time())


def _assign(rec: dict, pid: int, device: str, log: str) -> bool:
    """Note the worker started for a run, unless another worker has claimed it (or it was cancelled)."""
    if rec["status"] == "queued" or (rec["status"] == "running" and rec.get("pid") == pid):
        if rec["status"] == "queued":
            rec["pid"] = pid
        rec.update(device=device, log=log)
        return True
    return False


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--home", required=True)
    ap.add_argument("--group", required=True)
    ap.add_argument("--devices", default="cpu")
    ap.add_argument("--per-device", type=int, default=0)
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--download", action="store_true")
    a = ap.parse_args(argv)
    import signal

    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    devices = a.devices.split(",")
    per = a.per_device or (cpu_slots() if devices == ["cpu"] else 2)
    schedule(Home.resolve(a.home), a.group, devices, per, a.data_dir, a.download)


if __name__ == "__main__":
    main()
