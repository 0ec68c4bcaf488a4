"""What `overfit-tui devices` shows: each device of the home's pool, its slots, the runs on it,
its utilization and memory (NVML on GPUs, as nvitop reads them; /proc on the CPU), plus the
runs placed by Ray (on the cluster's nodes). Headless; degrades quietly where NVML or /proc is
missing. GPU i is NVML's device i (with CUDA_VISIBLE_DEVICES set, the two may differ).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

from overfit_tui.core.status import Status
from overfit_tui.core.system import ram_gib
from overfit_tui.runs.liveness import pid_alive
from overfit_tui.runs.queue import device_slots, pool_devices, read_state
from overfit_tui.runs.warm import Slot, registered
from overfit_tui.store import Store


@dataclass
class DeviceRow:
    """One device: its slots, the runs on it, and how busy it is."""

    name: str
    slots: int | None  # None for Ray (the cluster places its tasks)
    runs: list[str] = field(default_factory=list)  # "run id (group)" of the runs queued to it or running there
    workers: set[int] = field(default_factory=set)  # pids of the worker processes on it: a slot holds one worker,
    # which may train many stacked runs, so busy slots are workers, not runs
    idle: int = 0  # warm workers waiting for a job there (runs/warm.py): each holds a slot until it leaves
    util: str = "-"  # utilization, e.g. "37%"
    memory: str = "-"  # e.g. "2.1/80 GiB"


def _cpu_busy(sample_s: float = 0.2) -> str:
    def times():
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
        return sum(v), v[3] + v[4]

    try:
        a = times()
        time.sleep(sample_s)
        b = times()
        total = b[0] - a[0]
        load = os.getloadavg()[0]
        return f"{100 * (1 - (b[1] - a[1]) / total):.0f}% (load {load:.1f} on {os.cpu_count()} cores)" if total else "-"
    except (OSError, ValueError, IndexError):
        return "-"


def _ram() -> str:
    ram = ram_gib()
    return f"{ram[0]:.1f}/{ram[1]:.0f} GiB" if ram else "-"


def _gpu(i: int) -> tuple[str, str]:
    try:
        import pynvml

        pynvml.nvmlInit()
        h = pynvml.nvmlDeviceGetHandleByIndex(i)
        util = pynvml.nvmlDeviceGetUtilizationRates(h).gpu
        mem = pynvml.nvmlDeviceGetMemoryInfo(h)
        return f"{util}%", f"{mem.used / 2**30:.1f}/{mem.total / 2**30:.0f} GiB"
    except Exception:  # no NVML, or it failed: say nothing rather than crash the listing
        return "-", "-"


def device_report(store: Store) -> list[DeviceRow]:
    state = read_state(store.home)
    rows = {d: DeviceRow(d, n) for d, n in device_slots(state, pool_devices()).items()}
    ray = DeviceRow("ray (cluster)", None)
    for gid in store.active_groups():
        for r in store.runs(gid):
            if r.status not in (Status.QUEUED, Status.RUNNING) or not r.pid:
                continue
            where = ray if r.ray else rows.get(r.device or "")
            if where is not None:
                where.runs.append(f"{r.id} ({gid}{', ' + str(r.device) if r.ray else ''})")
                where.workers.add(r.pid)

    for info in registered(store.home):
        slot = Slot(store.home, info["pid"])
        row = rows.get(info.get("device") or "")
        if row is not None and pid_alive(slot.pid) and slot.idle():
            row.idle += 1
    for d, row in rows.items():
        if d.startswith("cuda"):
            row.util, row.memory = _gpu(int(d.split(":")[1]))
        else:
            row.util, row.memory = _cpu_busy(), _ram()
    return [*rows.values(), *([ray] if ray.runs else [])]


@dataclass(frozen=True)
class GpuSample:
    """One GPU at one moment, as NVML reports it (the app's device line and its history)."""

    index: int  # NVML's device index (cuda:i where CUDA_VISIBLE_DEVICES is unset)
    util: int  # % of the last sample period a kernel ran
    mem_used: int  # bytes, every process together
    mem_total: int  # bytes
    temp: int  # °C
    procs: dict[int, int] = field(default_factory=dict)  # pid -> bytes of GPU memory that process holds


def read_gpus() -> list[GpuSample] | None:
    """Every GPU's utilisation, memory, temperature and per-process memory (NVML's
    nvmlDeviceGetComputeRunningProcesses); None where NVML or a GPU is missing. A process whose
    memory NVML cannot see (no permission, some MIG setups) is left out, never guessed."""
    try:
        import pynvml

        pynvml.nvmlInit()
        n = pynvml.nvmlDeviceGetCount()
    except Exception:  # no driver, no library: a CPU machine
        return None
    if n <= 0:
        return None
    out = []
    for i in range(n):
        h = pynvml.nvmlDeviceGetHandleByIndex(i)
        mem = pynvml.nvmlDeviceGetMemoryInfo(h)
        try:
            procs = {
                p.pid: int(p.usedGpuMemory)
                for p in pynvml.nvmlDeviceGetComputeRunningProcesses(h)
                if isinstance(getattr(p, "usedGpuMemory", None), int)
            }
        except Exception:  # not supported on this device or driver: memory per device only
            procs = {}
        out.append(
            GpuSample(
                i,
                int(pynvml.nvmlDeviceGetUtilizationRates(h).gpu),
                int(mem.used),
                int(mem.total),
                int(pynvml.nvmlDeviceGetTemperature(h, 0)),
                procs,
            )
        )
    return out
