"""CPU cores and the torch-thread rule shared by the scheduler and the engine (no torch import)."""

from __future__ import annotations

import os


def available_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def worker_threads(workers: int = 1) -> int:
    """Torch threads per CPU worker: a fair share of the cores, never all of them (on 2 cores,
    2 torch threads collapse under any other load: the UI, a second worker)."""
    n = available_cores()
    return max(1, min(n - 1, n // max(1, workers)))
