"""CPU cores, the torch-thread rule shared by the scheduler and the engine, memory, and the GPUs
the driver reports (no torch import)."""

from __future__ import annotations

import os


def available_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def worker_threads(workers: int = 1) -> int:
    """Torch threads per CPU worker: a fair share of the cores, never all of them (on 2 cores,
    2 torch threads collapse under any other load: the UI, a second worker)."""
    n = available_cores()
    return max(1, min(n - 1, n // max(1, workers)))


def ram_gib() -> tuple[float, float] | None:
    """(used, total) memory in GiB from /proc/meminfo (used = total - available); None elsewhere."""
    try:
        info = {}
        with open("/proc/meminfo") as f:
            for line in f:
                k, v = line.split(":")
                info[k] = int(v.split()[0])
        return (info["MemTotal"] - info["MemAvailable"]) / 2**20, info["MemTotal"] / 2**20
    except (OSError, KeyError, ValueError):
        return None


def gpu_count() -> int:
    """NVIDIA GPUs the driver reports, by NVML (fast, no torch import); 0 where there is no driver.
    Torch sees none where this is 0; where it is not, CUDA_VISIBLE_DEVICES or a CPU-only torch
    build may still hide them (ask engine/device.py then)."""
    try:
        import pynvml

        pynvml.nvmlInit()
        return pynvml.nvmlDeviceGetCount()
    except Exception:
        return 0
