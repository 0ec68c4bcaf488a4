"""Device status line: per GPU utilisation, memory, temperature (nvidia-ml-py), else CPU and RAM.

Read in a background thread; degrades quietly when NVML or /proc is not there.
"""

from __future__ import annotations

import os

from overfit_tui.core.system import ram_gib


def gpu_count() -> int:
    """Visible NVIDIA GPUs by NVML (fast, no torch import); 0 where NVML is missing."""
    try:
        import pynvml

        pynvml.nvmlInit()
        return pynvml.nvmlDeviceGetCount()
    except Exception:
        return 0


class DeviceProbe:
    def __init__(self):
        self._nvml = None
        try:
            import pynvml

            pynvml.nvmlInit()
            if pynvml.nvmlDeviceGetCount() > 0:
                self._nvml = pynvml
        except Exception:
            self._nvml = None
        self._cpu_prev = self._cpu_times()

    @staticmethod
    def _cpu_times() -> tuple[int, int] | None:
        try:
            with open("/proc/stat") as f:
                vals = [int(v) for v in f.readline().split()[1:]]
            return sum(vals), vals[3] + vals[4]
        except (OSError, ValueError, IndexError):
            return None

    def line(self, runs_per_device: dict[str, int], workers_per_device: dict[str, int] | None = None) -> str:
        """CPU/RAM (or each GPU's) load, and the runs training on each device with the worker
        processes that train them (stacked runs share one worker)."""
        if self._nvml is not None:
            return self._gpu_line(runs_per_device)
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

    def _gpu_line(self, runs_per_device: dict[str, int]) -> str:
        nv = self._nvml
        parts = []
        try:
            for i in range(nv.nvmlDeviceGetCount()):
                h = nv.nvmlDeviceGetHandleByIndex(i)
                util = nv.nvmlDeviceGetUtilizationRates(h).gpu
                mem = nv.nvmlDeviceGetMemoryInfo(h)
                temp = nv.nvmlDeviceGetTemperature(h, 0)
                parts.append(
                    f"cuda:{i} {util:3d}% {mem.used / 2**30:.1f}/{mem.total / 2**30:.0f}G {temp}°C "
                    f"runs {runs_per_device.get(f'cuda:{i}', 0)}"
                )
        except Exception as e:  # NVML can fail transiently; say so instead of crashing the bar
            parts.append(f"GPU status unavailable ({e.__class__.__name__})")
        return "  ·  ".join(parts)
