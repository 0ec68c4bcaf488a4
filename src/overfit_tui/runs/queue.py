"""The home's device queue: its settings, the lock that keeps one scheduler per home, and the
order in which queued jobs start.

One scheduler (runs/scheduler.py) serves every group of a home from one device pool. It holds
an exclusive `flock` on HOME/queue/scheduler.lock for its whole life and writes its pid and
process start time there; the kernel releases the lock when it dies (kill -9 included), so a
stale lock is simply taken over by the next one. `ensure_scheduler` (launch, restart, app
start, `queue resume`) reads that file under the store's lock and starts a scheduler unless the
pid it names is alive and is the same process (same start time: a reused pid is not ours). The
scheduler decides to exit when idle under the same lock and marks the file `exiting` first, so
a launch racing with that exit always starts a fresh one.

Settings (HOME/queue/state.json, changed inside the store's lock): paused, CPU slots, workers
per GPU. Order: a group's priority (higher first; `overfit-tui priority`), then launch time,
then the job's index within its group (FIFO across groups).
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import asdict, dataclass, replace

from overfit_tui.core.errors import OverfitError
from overfit_tui.core.paths import Home
from overfit_tui.core.records import RunRecord
from overfit_tui.core.status import ACTIVE, Status
from overfit_tui.core.system import available_cores, gpu_count
from overfit_tui.runs.liveness import is_worker, pid_alive
from overfit_tui.store import Store
from overfit_tui.store.storage import atomic_write

PRIORITY_MAX = 1000  # |priority| of a group
SLOTS_MAX = 256  # workers per device


@dataclass(frozen=True)
class QueueState:
    """The queue's settings, kept in HOME/queue/state.json."""

    paused: bool = False  # no new job starts while paused; running ones go on
    cpu_slots: int = 0  # concurrent workers on the CPU (0 = from the core count, `cpu_slots()`)
    gpu_slots: int = 2  # concurrent workers per GPU


def cpu_slots() -> int:
    """The default number of CPU workers: every core up to 4, half of them beyond (core/system.py's
    thread policy gives each worker its share of the cores)."""
    n = available_cores()
    return max(1, n if n <= 4 else n // 2)


def read_state(home: Home) -> QueueState:
    """The settings; a missing or damaged file reads as the defaults (it is rewritten on the next change)."""
    try:
        raw = json.loads((home.queue_dir / "state.json").read_text())
        st = QueueState(
            paused=bool(raw.get("paused", False)),
            cpu_slots=int(raw.get("cpu_slots", 0)),
            gpu_slots=int(raw.get("gpu_slots", 2)),
        )
        return st if 0 <= st.cpu_slots <= SLOTS_MAX and 0 < st.gpu_slots <= SLOTS_MAX else QueueState()
    except (OSError, ValueError, TypeError, AttributeError):
        return QueueState()


def update_state(store: Store, **changes) -> QueueState:
    """Change settings inside the store's lock (two `queue` commands never lose one another's change)."""
    for k in ("cpu_slots", "gpu_slots"):
        v = changes.get(k)
        if v is not None and not (0 <= v <= SLOTS_MAX and (v > 0 or k == "cpu_slots")):
            raise OverfitError(f"--{k.split('_')[0]}: slots per device are 1-{SLOTS_MAX} (0 for the CPU: automatic)")
    with store.transaction():
        st = replace(read_state(store.home), **{k: v for k, v in changes.items() if v is not None})
        store.home.queue_dir.mkdir(parents=True, exist_ok=True)
        atomic_write(store.home.queue_dir / "state.json", json.dumps(asdict(st)))
    return st


def device_slots(state: QueueState, devices: list[str]) -> dict[str, int]:
    """Slots of each device of the pool: the CPU's from the core policy (or the setting), each GPU's from the setting."""
    return {d: (state.gpu_slots if d.startswith("cuda") else state.cpu_slots or cpu_slots()) for d in devices}


def cuda_devices() -> list[str]:
    """The CUDA devices torch sees here. Where the driver reports no GPU there are none, and torch
    is not imported (its 1.3 s import was most of a CPU box's `run` before anything trained)."""
    if gpu_count() == 0:
        return []
    from overfit_tui.engine.device import cuda_devices as torch_cuda  # lazy: the engine imports torch

    return torch_cuda()


def pool_devices() -> list[str]:
    """Every device of this machine: its GPUs, and the CPU."""
    return [*cuda_devices(), "cpu"]


# -- the one scheduler ---------------------------------------------------------------


def proc_start(pid: int) -> int | None:
    """The process's start time (clock ticks since boot, /proc/PID/stat): a pid plus this names one process."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[19])
    except (OSError, ValueError, IndexError):
        return None


def read_lock(home: Home) -> dict:
    try:
        raw = json.loads((home.queue_dir / "scheduler.lock").read_text() or "{}")
        return raw if isinstance(raw, dict) else {}
    except (OSError, ValueError):
        return {}


def scheduler_pid(home: Home) -> int | None:
    """The pid of the home's live scheduler, or None (none ran, it died, or it is exiting)."""
    info = read_lock(home)
    pid = info.get("pid")
    if not isinstance(pid, int) or info.get("exiting") or not pid_alive(pid):
        return None
    start = proc_start(pid)
    return pid if start is None or start == info.get("start") else None


def ensure_scheduler(store: Store) -> subprocess.Popen | None:
    """Start the home's scheduler unless one runs; returns the new process (None if one was running).
    Under the store's lock, so it pairs with the scheduler's own decision to exit."""
    if store.read_only:
        return None
    with store.transaction():
        if scheduler_pid(store.home) is not None:
            return None
        store.home.queue_dir.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", "overfit_tui.runs.scheduler", "--home", str(store.home.root)]
        with open(store.home.queue_dir / "scheduler.log", "ab") as out:
            return subprocess.Popen(
                cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
            )


def restart_if_waiting(store: Store) -> subprocess.Popen | None:
    """Start the scheduler if jobs wait (or live workers need watching) and none runs (an app's start)."""
    if store.read_only or scheduler_pid(store.home) is not None:
        return None
    for gid in store.active_groups():
        if any(r.status in ACTIVE for r in store.runs(gid)):
            return ensure_scheduler(store)
    return None


# -- order -------------------------------------------------------------------------------


@dataclass
class Job:
    """One worker's worth of runs (one run, or runs stacked into one process)."""

    group: str
    runs: list[str]
    key: tuple  # sort key: (-priority, group created, group id, job index)
    devices: list[str]  # where the group may run
    per_device: int  # the group's own cap of workers per device (0: only the device's slots)
    data_dir: str | None
    download: bool
    backend: str = "local"  # or "ray"
    address: str | None = None  # the Ray cluster (backend ray)


def waiting(rec: RunRecord) -> bool:
    """A queued run no live worker has been started for (or one whose worker died before claiming it)."""
    pid = rec.pid
    if rec.status != Status.QUEUED or not pid or not pid_alive(pid):
        return rec.status == Status.QUEUED
    return False if rec.ray else is_worker(pid, rec.id) is False  # a Ray job's pid is its driver


def queued_jobs(store: Store, default_devices: list[str] | None = None) -> list[Job]:
    """Every waiting job of the home, in the order they start."""
    jobs: dict[tuple[str, int], Job] = {}
    for gid in store.active_groups():
        group, runs = store.group_runs(gid)
        launch = group.launch if group else {}
        for r in runs:
            if not waiting(r):
                continue
            k = r.job
            job = jobs.get((gid, k))
            if job is None:
                job = jobs[(gid, k)] = Job(
                    gid,
                    [],
                    (-int(group.priority or 0) if group else 0, group.created if group else r.created, gid, k),
                    list(launch.get("devices") or default_devices or ["cpu"]),
                    int(launch.get("per_device") or 0),
                    launch.get("data_dir"),
                    bool(launch.get("download")),
                    launch.get("backend") or "local",
                    launch.get("address"),
                )
            job.runs.append(r.id)
    return sorted(jobs.values(), key=lambda j: j.key)


def queue_positions(store: Store) -> dict[str, int]:
    """Run id -> its job's place in the queue (1 starts next)."""
    return {rid: i for i, job in enumerate(queued_jobs(store), 1) for rid in job.runs}


def set_priority(store: Store, ref: str, priority: int) -> list[str]:
    """Set the priority of the groups `ref` names (a run names its group); returns the group ids."""
    if not -PRIORITY_MAX <= priority <= PRIORITY_MAX:
        raise OverfitError(f"priority {priority}: give a whole number from -{PRIORITY_MAX} to {PRIORITY_MAX}")
    groups = list(dict.fromkeys(r.group for r in store.resolve(ref)))
    for gid in groups:
        store.update_group(gid, priority=priority)
    return groups
