"""Device status line: per GPU utilisation with a short history sparkline, memory, temperature
and the GPU memory each worker holds (nvidia-ml-py, runs/devices.py), else CPU and RAM.

Read in a background thread; degrades quietly when NVML or /proc is not there. The GPU reader
is a parameter, so a CPU machine tests the GPU line with a fake one.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable

from overfit_tui.core.system import ram_gib
from overfit_tui.runs.devices import GpuSample, read_gpus

HISTORY = 16  # samples in a device's sparkline (the app reads every 2 s: the last half minute)
BARS = "▁▂▃▄▅▆▇█"


def sparkline(values, lo: float = 0.0, hi: float = 100.0) -> str:
    """One block per value, from ▁ at `lo` to █ at `hi` (clipped)."""
    span = (hi - lo) or 1.0
    return "".join(BARS[min(len(BARS) - 1, max(0, int((v - lo) / span * (len(BARS) - 1) + 0.5)))] for v in values)


def gib(b: int) -> str:
    return f"{b / 2**30:.1f}G"


class DeviceProbe:
    """The device line, one sample per call; keeps each GPU's recent utilisation."""

    def __init__(self, reader: Callable[[], list[GpuSample] | None] | None = None):
        self._read = reader or read_gpus
        try:
            self._has_gpu = bool(self._read())
        except Exception:  # NVML half there: a CPU line, never a crash
            self._has_gpu = False
        self.history: dict[int, deque] = {}
        self._cpu_prev = self._cpu_times()

    @staticmethod
    def _cpu_times() -> tuple[int, int] | None:
        try:
            with open("/proc/stat") as f:
                vals = [int(v) for v in f.readline().split()[1:]]
            return sum(vals), vals[3] + vals[4]
        except (OSError, ValueError, IndexError):
            return None

    def line(
        self,
        runs_per_device: dict[str, int],
        workers_per_device: dict[str, int] | None = None,
        worker_runs: dict[int, list[str]] | None = None,
    ) -> str:
        """CPU/RAM (or each GPU's) load, and the runs training on each device with the worker
        processes that train them (stacked runs share one worker); on a GPU, the memory each
        worker holds (`worker_runs`: worker pid -> its run ids)."""
        if self._has_gpu:
            return self._gpu_line(runs_per_device, worker_runs or {})
        parts = []
        now = self._cpu_times()
        if now and self._cpu_prev:
            total, idle = now[0] - self._cpu_prev[0], now[1] - self._cpu_prev[1]
            if total > 0:
                parts.append(f"CPU {100 * (1 - idle / total):3.0f}% of {os.cpu_count()} cores")
        self._cpu_prev = now
        ram = ram_gib()
        if ram:
            parts.append(f"RAM {ram[0]:.1f}/{ram[1]:.0f} GiB")
        n, w = runs_per_device.get("cpu", 0), (workers_per_device or {}).get("cpu", 0)
        parts.append(f"training on cpu: {n} run{'s' * (n != 1)}" + (f" in {w} worker{'s' * (w != 1)}" if w else ""))
        return "  ·  ".join(parts) + "  ·  no GPU"

    def _gpu_line(self, runs_per_device: dict[str, int], worker_runs: dict[int, list[str]]) -> str:
        """One line per GPU: `cuda:0  37% ▂▃▅▇▇ 2.1/80G 61°C · runs 3 · a1b2c3d4 1.2G, e5f6a7b8+1 0.8G`."""
        try:
            samples = self._read() or []
        except Exception as e:  # NVML can fail transiently; say so instead of crashing the bar
            return f"GPU status unavailable ({e.__class__.__name__})"
        lines = []
        for g in samples:
            hist = self.history.setdefault(g.index, deque(maxlen=HISTORY))
            hist.append(g.util)
            line = (
                f"cuda:{g.index} {g.util:3d}% {sparkline(hist)} {g.mem_used / 2**30:.1f}/{g.mem_total / 2**30:.0f}G "
                f"{g.temp}°C · runs {runs_per_device.get(f'cuda:{g.index}', 0)}"
            )
            held = sorted(((b, pid) for pid, b in g.procs.items() if pid in worker_runs), reverse=True)
            if held:
                line += " · " + ", ".join(
                    f"{worker_runs[pid][0][:8]}{f'+{len(worker_runs[pid]) - 1}' if len(worker_runs[pid]) > 1 else ''}"
                    f" {gib(b)}"
                    for b, pid in held
                )
            lines.append(line)
        return "\n".join(lines) if lines else "GPU status unavailable (no device answered)"
