"""The home's scheduler process: one per home, serving every group from one device pool.

Started on demand (`runs/queue.py: ensure_scheduler`) detached in its own session; it takes the
home's scheduler lock (or waits a few seconds for a dying one to let go, then leaves the work to
it), adopts the workers a killed predecessor started (their runs are neither restarted nor
marked lost while their process lives), then loops: reap workers that ended, start waiting jobs
in queue order on the device with the most free slots (never more workers on a device than its
slots, never more than a group's own `per_device`), and exit once nothing runs and nothing may
start (no queued job, or the queue is paused). A worker that exits leaving runs unrecorded
(kill -9, OOM) has those runs marked lost, with their curves kept; only runs that worker owned
(its pid) are touched: a run is claimed by exactly one worker.

Warm workers (runs/warm.py, on unless OVERFIT_TUI_WARM_S=0): a slot's worker stays after its job,
torch imported and data cached, and the scheduler hands it the next job for its device; it
leaves after the idle timeout, and the scheduler exits once no worker is left and nothing may
start. A warm worker that dies loses only the run it was training (marked lost); runs handed
to it but not yet claimed go back to the queue. A scheduler started after a kill -9 adopts the
registered warm workers along with the others.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import socket
import subprocess
import sys
import threading
import time
import traceback
from collections import Counter
from dataclasses import dataclass

from overfit_tui.core.errors import OverfitError
from overfit_tui.core.paths import Home
from overfit_tui.core.status import Status
from overfit_tui.core.system import worker_threads
from overfit_tui.runs.liveness import is_worker, pid_alive
from overfit_tui.runs.queue import (
    Job,
    device_slots,
    pool_devices,
    proc_start,
    queued_jobs,
    read_state,
    restart_if_waiting,
)
from overfit_tui.runs.ray_backend import Abandoned, RayJobs
from overfit_tui.runs.warm import Slot, hand_over, register, registered, warm_seconds, was_ready
from overfit_tui.store import Store
from overfit_tui.store.schema import ACTIVE

POLL_S = 0.3
WAKE_S = 0.02  # how often a busy warm worker is checked for having finished (a few stat calls)
LOOK_S = 2.0  # with every local slot busy, how often the queue is read for Ray jobs
TAKEOVER_S = 10.0  # how long a new scheduler waits for the lock of one that is exiting


@dataclass
class Worker:
    """A worker process the scheduler watches (started by it, or adopted)."""

    pid: int
    device: str
    group: str
    runs: list[str]
    proc: subprocess.Popen | None = None  # None: adopted from a scheduler that died
    slot: Slot | None = None  # a warm worker's files (runs/warm.py); None: one job, then it exits

    def idle(self) -> bool:
        """A warm worker waiting for a job (it still holds its slot)."""
        return self.slot is not None and self.slot.idle()

    def exit_code(self) -> int | None:
        """None while it runs; its exit status after (-1 when adopted: not our child, status unknown)."""
        if self.proc is not None:
            return self.proc.poll()
        return None if pid_alive(self.pid) else -1


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


def spawn_warm(home: Home, device: str, threads: int | None, idle_s: float) -> subprocess.Popen:
    """A warm worker (runs/warm.py): imports torch, warms up, then serves the jobs handed to it."""
    d = home.queue_dir / "workers"
    d.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "overfit_tui.runs.worker", "--home", str(home.root), "--device", device]
    cmd += ["--warm", "--idle", str(idle_s)]
    env = dict(os.environ)
    if threads and device == "cpu":
        env["OVERFIT_TUI_THREADS"] = str(threads)
    with open(d / "warm.log", "ab") as out:
        return subprocess.Popen(
            cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, start_new_session=True
        )


def _is_warm(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            argv = f.read().split(b"\0")
    except OSError:
        return False
    return b"overfit_tui.runs.worker" in argv and b"--warm" in argv


def take_lock(home: Home, wait_s: float = TAKEOVER_S) -> int | None:
    """The scheduler lock's fd, held until this process exits; None if another scheduler keeps it."""
    home.queue_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(home.queue_dir / "scheduler.lock", os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + wait_s
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() > deadline:
                os.close(fd)
                return None
            time.sleep(0.2)
    pid = os.getpid()
    _write_lock(fd, {"pid": pid, "start": proc_start(pid), "host": socket.gethostname(), "since": time.time()})
    return fd


def _write_lock(fd: int, info: dict) -> None:
    os.ftruncate(fd, 0)
    os.pwrite(fd, json.dumps(info).encode(), 0)


def adopt(store: Store) -> list[Worker]:
    """The live workers of runs still queued or running, and the registered warm workers (a killed
    scheduler's): watched, not restarted; a warm one gets jobs again once idle."""
    found: dict[int, Worker] = {}
    for info in registered(store.home):
        slot = Slot(store.home, info["pid"])
        if pid_alive(slot.pid) and proc_start(slot.pid) == info.get("start") and _is_warm(slot.pid):
            found[slot.pid] = Worker(slot.pid, info.get("device") or "cpu", "", slot.busy_runs(), slot=slot)
        else:
            slot.clear()  # gone (or its pid reused): its runs are reaped through the store as lost below
    for gid in store.active_groups():
        for r in store.runs(gid):
            pid = r.pid
            if r.status in ACTIVE and pid and pid_alive(pid) and is_worker(pid, r.id) is not False:
                w = found.setdefault(pid, Worker(pid, r.device or "cpu", gid, []))
                w.group = w.group or gid
                if r.id not in w.runs:
                    w.runs.append(r.id)
    return list(found.values())


class Scheduler:
    """The loop's state: the device pool, its slots, the workers running."""

    def __init__(self, home: Home, devices: list[str] | None = None):
        self.home, self.store = home, Store(home)
        self.devices = devices or pool_devices()
        self.default = [d for d in self.devices if d != "cpu"] or ["cpu"]  # a group launched without --device
        self.running: list[Worker] = adopt(self.store)
        self._looked = 0.0  # when the queued jobs were last read
        self.ray = None  # the Ray driver (runs/ray_backend.py), connected on the first Ray job
        self.lock_fd = -1  # the scheduler lock (set by loop)
        self._lost = threading.Lock()
        if self.running:
            print(f"adopted {len(self.running)} live worker(s): {[w.pid for w in self.running]}", flush=True)

    def reap(self) -> None:
        for w in list(self.running):
            code = w.exit_code()
            if code is None:
                continue
            self.running.remove(w)
            why = f"with code {code}" if code >= 0 else "(adopted after a scheduler restart)"
            # A warm worker's unclaimed runs go back to the queue (their pid is dead: they wait again),
            # unless it died starting up: then, as for a one-job worker, they end lost (no retry loop).
            requeue = w.slot is not None and was_ready(w.slot)
            if w.slot is not None:
                w.slot.clear()
            for rid in w.runs:
                self.store.transition(
                    rid,
                    (Status.RUNNING,) if requeue else (Status.QUEUED, Status.RUNNING),
                    only_if=lambda r, pid=w.pid: r.get("pid") == pid,
                    status=Status.LOST,
                    ended=time.time(),
                    error=f"worker exited {why} without recording this run",
                )

    def fill(self) -> None:
        """Start waiting jobs in queue order while a device they may use has a free slot (local
        jobs; an idle warm worker's slot is free for its device), or while the Ray cluster has
        CPUs for them (Ray jobs: Ray places them)."""
        state = read_state(self.home)
        if state.paused:
            return
        slots = device_slots(state, self.devices)
        self._retire_extra(slots)
        idle = {w.pid: w for w in self.running if w.idle()}
        used = Counter(w.device for w in self.running)  # every worker holds its slot, idle warm ones too
        busy = Counter(w.device for w in self.running if w.pid not in idle)
        full = all(busy[d] >= n for d, n in slots.items())
        if full and self.ray is None and time.monotonic() - self._looked < LOOK_S:
            return  # every slot busy: the groups' files are read again when one frees (or for Ray jobs)
        self._looked = time.monotonic()
        jobs = queued_jobs(self.store, self.default)
        ray_jobs = [j for j in jobs if j.backend == "ray"]
        if ray_jobs:
            self._fill_ray(ray_jobs, state.gpu_slots)
        jobs = [j for j in jobs if j.backend != "ray"]
        if all(busy[d] >= n for d, n in slots.items()) or not jobs:
            return
        by_group = Counter((w.group, w.device) for w in self.running if w.pid not in idle)
        n_cpu = sum("cpu" in j.devices for j in jobs) + busy["cpu"]
        threads = worker_threads(min(slots.get("cpu", 1), max(1, n_cpu)))
        warm_s = warm_seconds()
        for job in jobs:
            if not any(d in slots for d in job.devices):
                self._refuse(job)
                continue

            def waiting_worker(d: str) -> Worker | None:
                return next((w for w in idle.values() if w.device == d), None)

            free = [
                d
                for d in job.devices
                if d in slots
                and (waiting_worker(d) is not None or used[d] < slots[d])
                and not (job.per_device and by_group[(job.group, d)] >= job.per_device)
            ]
            if not free:
                continue
            dev = min(free, key=lambda d: busy[d] / slots[d])
            w = waiting_worker(dev)
            if w is not None:
                del idle[w.pid]
                if not self.hand(w, job, threads):
                    continue  # it is leaving: its slot frees when it is reaped
            else:
                self.start(job, dev, threads, warm_s)
                used[dev] += 1
            busy[dev] += 1
            by_group[(job.group, dev)] += 1
            if all(busy[d] >= n for d, n in slots.items()):
                return

    def _retire_extra(self, slots: dict[str, int]) -> None:
        """Idle warm workers beyond a device's slots (the slots were lowered) are told to leave."""
        count = Counter(w.device for w in self.running)
        for w in self.running:
            if count[w.device] > slots.get(w.device, 0) and w.idle() and hand_over(w.slot, {"exit": True}):
                count[w.device] -= 1

    def _fill_ray(self, jobs: list[Job], gpu_slots: int) -> None:

        if self.ray is not None and self.ray.silent_since is not None:
            return  # the head does not answer right now: nothing is submitted (it may be lost)
        if self.ray is None:  # connect for the first job's address; its failure fails every job asking for it
            address = jobs[0].address or "auto"
            same = [j for j in jobs if (j.address or "auto") == address]
            print(f"ray: connecting to {address}", flush=True)
            try:
                self.ray = RayJobs(self.store, address, lambda: self._still_queued(same))
            except Abandoned:
                return
            except OverfitError as e:
                print(f"ray: {e}", flush=True)
                for job in same:
                    self._refuse(job, str(e))
                return
            print(self.ray.note, flush=True)
            self.ray.watch(lambda why: self.ray_lost(self.lock_fd, why))
        for job in jobs:
            address = job.address or "auto"
            if address != self.ray.address:
                self._refuse(job, f"this home's scheduler drives the Ray cluster at {self.ray.address}, not {address}")
                continue
            if self.ray.capacity() <= 0:
                return
            gpu = 1.0 / gpu_slots if any(d.startswith("cuda") for d in job.devices) else None
            self.store.modify_runs(job.runs, lambda r: _assign_ray(r, os.getpid()))
            self.ray.submit(job, job.data_dir or str(self.home.data_dir), gpu)

    def _still_queued(self, jobs: list[Job]) -> bool:
        """Some run of these jobs still waits (not cancelled while Ray is being connected)."""
        ids = {r for j in jobs for r in j.runs}
        return any(
            r.id in ids and r.status == Status.QUEUED for g in {j.group for j in jobs} for r in self.store.runs(g)
        )

    def start(self, job: Job, dev: str, threads: int, warm_s: float = 0.0) -> None:
        """A new worker for the job: a warm one (it serves later jobs too) unless warm_s is 0."""
        if warm_s <= 0:
            proc = spawn_worker(self.home, job.runs, dev, job.data_dir, job.download, threads)
            self._dispatched(job, proc.pid, dev)
            self.running.append(Worker(proc.pid, dev, job.group, job.runs, proc))
            return
        proc = spawn_warm(self.home, dev, threads, warm_s)
        w = Worker(proc.pid, dev, "", [], proc, Slot(self.home, proc.pid))
        register(w.slot, proc_start(proc.pid), dev, ready=False)  # it registers again once warm; the job waits
        self.running.append(w)
        self.hand(w, job, threads)

    def hand(self, w: Worker, job: Job, threads: int) -> bool:
        """Hand a job to a warm worker (the runs' pid becomes its pid); False if it is leaving."""
        data = {"runs": job.runs, "data_dir": job.data_dir, "download": job.download, "threads": threads}
        if not hand_over(w.slot, data):
            return False
        w.group, w.runs = job.group, list(job.runs)
        self._dispatched(job, w.pid, w.device)
        return True

    def _dispatched(self, job: Job, pid: int, dev: str) -> None:
        log = str(self.home.run_dir(job.runs[0]) / "worker.log")
        self.store.modify_runs(job.runs, lambda r: _assign(r, pid, dev, log))

    def _refuse(self, job: Job, why: str | None = None) -> None:
        why = why or f"none of its devices ({', '.join(job.devices)}) is on this machine ({', '.join(self.devices)})"
        for rid in job.runs:
            self.store.transition(rid, (Status.QUEUED,), status=Status.FAILED, ended=time.time(), error=why)

    def idle(self) -> bool:
        """Nothing runs and nothing may start."""
        if self.ray is not None and self.ray.jobs:
            return False
        return not self.running and (read_state(self.home).paused or not queued_jobs(self.store, self.default))

    def ray_lost(self, lock_fd: int, why: str) -> None:
        """The Ray head died: its runs end lost, the queued runs that asked for it fail, with `why`; then
        this process hands the home to a fresh scheduler and leaves (Ray would end it anyway: a driver
        whose head is gone is terminated by Ray, and its Ray state cannot be reset)."""
        with self._lost:  # the head watcher's thread, or the loop: once
            self._ray_lost(lock_fd, why)

    def _ray_lost(self, lock_fd: int, why: str) -> None:
        print(f"ray: {why}", flush=True)
        self.ray.lose_all(why)
        for job in queued_jobs(self.store, self.default):
            if job.backend == "ray" and (job.address or "auto") == self.ray.address:
                self._refuse(job, f"{why}; not started")
        _write_lock(lock_fd, {"pid": os.getpid(), "exiting": True})

        restart_if_waiting(self.store)  # local jobs and workers get a successor (it waits for this lock)
        sys.stdout.flush()
        os._exit(0)

    def _nap(self) -> None:
        """Sleep POLL_S, or less: a warm worker that finishes its job is handed the next at once."""
        busy = [w for w in self.running if w.slot is not None and not w.idle()]
        deadline = time.monotonic() + POLL_S
        while time.monotonic() < deadline:
            time.sleep(WAKE_S if busy else POLL_S)
            if any(w.idle() for w in busy):
                return

    def loop(self, lock_fd: int) -> None:
        self.lock_fd = lock_fd
        while True:
            try:
                if self.ray is not None:
                    self.ray.poll()
                self.reap()
                self.fill()
            except Exception:  # a bad turn (a full disk, a Ray hiccup) is logged; the queue goes on
                traceback.print_exc()
                time.sleep(1.0)
            if self.idle():
                with self.store.transaction():  # a launch either wrote its runs before this (seen here) or
                    if self.idle():  # finds the lock marked exiting (and starts a fresh scheduler)
                        _write_lock(lock_fd, {"pid": os.getpid(), "exiting": True})
                        break
            self._nap()
        if self.ray is not None:
            self.ray.close()


def _assign(rec: dict, pid: int, device: str, log: str) -> bool:
    """Note the worker started for a run, unless another worker has claimed it (or it was cancelled)."""
    if rec["status"] == Status.QUEUED or (rec["status"] == Status.RUNNING and rec.get("pid") == pid):
        if rec["status"] == Status.QUEUED:
            rec.update(pid=pid, dispatched=time.time())  # when it left the queue (the queue's order, in tests)
        rec.setdefault("dispatched", time.time())  # a warm worker may claim it before this is written
        rec.update(device=device, log=log)
        return True
    return False


def _assign_ray(rec: dict, pid: int) -> bool:
    """A queued run submitted to Ray: its pid is the driver's (this scheduler) until it ends."""
    if rec["status"] != Status.QUEUED:
        return False
    rec.update(pid=pid, ray=True, device="ray", dispatched=time.time())
    return True


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--home", required=True)
    a = ap.parse_args(argv)
    import signal

    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    home = Home.resolve(a.home)
    fd = take_lock(home)
    if fd is None:
        print("another scheduler serves this home", flush=True)
        return
    Scheduler(home).loop(fd)


if __name__ == "__main__":
    main()
