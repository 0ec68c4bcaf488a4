"""Warm workers: a slot keeps one worker process (torch imported, data cached by the study's
loader) that trains job after job from the home's queue, instead of a fresh process per job.

The protocol is files under HOME/queue/workers/, guarded by one flock (workers.lock):

    PID.json   the worker is registered: {pid, start (its /proc start time), device, ready}
    PID.job    a job the scheduler handed it: {runs, data_dir, download, threads}
    PID.busy   the job it is training (PID.job renamed: one atomic step)

The scheduler writes PID.job, under the lock and only while PID.json exists, before it marks the
runs dispatched to that pid; the worker renames it to PID.busy, claims the runs (the store's
atomic queued -> running, as a fresh worker does), trains them and removes PID.busy. A worker
idle for `idle_s` takes the lock, and leaves only if no job came: it removes PID.json first, so
the scheduler never hands a job to a worker that is going. Workers run in their own sessions,
so they outlive the UI, the SSH session and the scheduler; a scheduler started after a kill -9
adopts the registered live ones (pid and start time must match: a reused pid is not ours).
`OVERFIT_TUI_WARM_S` (seconds, 0 = off: one fresh process per job, as before) sets `idle_s`.
"""

from __future__ import annotations

import fcntl
import json
import os
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from overfit_tui.core.paths import Home

WARM_S = 60.0  # default idle timeout of a warm worker (seconds)
POLL_S = 0.02  # how often an idle worker looks for its next job


def warm_seconds() -> float:
    """The idle timeout of warm workers from $OVERFIT_TUI_WARM_S; 0 turns warm workers off."""
    raw = os.environ.get("OVERFIT_TUI_WARM_S")
    try:
        return max(0.0, float(raw)) if raw not in (None, "") else WARM_S
    except ValueError:
        return WARM_S


@dataclass(frozen=True)
class Slot:
    """The files of one warm worker."""

    home: Home
    pid: int

    @property
    def dir(self) -> Path:
        return self.home.queue_dir / "workers"

    @property
    def reg(self) -> Path:
        return self.dir / f"{self.pid}.json"

    @property
    def job(self) -> Path:
        return self.dir / f"{self.pid}.job"

    @property
    def busy(self) -> Path:
        return self.dir / f"{self.pid}.busy"

    def idle(self) -> bool:
        """Registered, no job handed over and none in training."""
        return self.reg.exists() and not self.job.exists() and not self.busy.exists()

    def busy_runs(self) -> list[str]:
        """The runs of the job handed over or in training (empty when idle)."""
        for p in (self.busy, self.job):
            try:
                return list(json.loads(p.read_text()).get("runs") or [])
            except (OSError, ValueError):
                continue
        return []

    def clear(self) -> None:
        for p in (self.reg, self.job, self.busy):
            p.unlink(missing_ok=True)


@contextmanager
def locked(home: Home):
    """The home's warm-worker lock (freed by the kernel if its holder is killed)."""
    d = home.queue_dir / "workers"
    d.mkdir(parents=True, exist_ok=True)
    fd = os.open(d / "workers.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _write(path: Path, data: dict) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data))
    os.replace(tmp, path)


def register(slot: Slot, start: int | None, device: str, ready: bool) -> None:
    """Write the registration: the scheduler does at spawn (ready False), the worker once warm."""
    with locked(slot.home):
        _write(slot.reg, {"pid": slot.pid, "start": start, "device": device, "ready": ready})


def was_ready(slot: Slot) -> bool:
    """Whether the worker got through its start-up (imports, warm-up) and registered itself."""
    try:
        return bool(json.loads(slot.reg.read_text()).get("ready"))
    except (OSError, ValueError, AttributeError):
        return False


def hand_over(slot: Slot, job: dict) -> bool:
    """Give the worker a job; False if it is not registered (it is leaving, or gone)."""
    with locked(slot.home):
        if not slot.reg.exists() or slot.job.exists() or slot.busy.exists():
            return False
        _write(slot.job, job)
        return True


def take(slot: Slot) -> dict | None:
    """The worker's side: the job handed over, now marked in training; None if none."""
    if not slot.job.exists():
        return None
    with locked(slot.home):
        try:
            os.replace(slot.job, slot.busy)
        except FileNotFoundError:
            return None
    try:
        return json.loads(slot.busy.read_text())
    except (OSError, ValueError):
        return {"runs": []}


def leave_if_idle(slot: Slot) -> bool:
    """The worker's side, at its idle timeout: unregister unless a job came; True = it may exit."""
    with locked(slot.home):
        if slot.job.exists():
            return False
        slot.clear()
        return True


def registered(home: Home) -> list[dict]:
    """Every registration on file ({pid, start, device}), live or not."""
    out = []
    d = home.queue_dir / "workers"
    for p in sorted(d.glob("*.json")) if d.is_dir() else []:
        try:
            info = json.loads(p.read_text())
        except (OSError, ValueError):
            continue
        if isinstance(info, dict) and isinstance(info.get("pid"), int):
            out.append(info)
    return out
