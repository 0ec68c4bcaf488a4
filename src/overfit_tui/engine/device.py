"""Devices and threads: pick the training device, set torch's thread count deliberately."""

from __future__ import annotations

import os

import torch


def cpu_threads_default() -> int:
    """Leave one core to the UI and the OS: on 2 cores, 2 torch threads collapse under any other load."""
    n = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, n - 1)


def configure_threads(n: int | None = None) -> int:
    n = n or int(os.environ.get("OVERFIT_TUI_THREADS", 0)) or cpu_threads_default()
    torch.set_num_threads(n)
    return n


def cuda_devices() -> list[str]:
    return [f"cuda:{i}" for i in range(torch.cuda.device_count())] if torch.cuda.is_available() else []


def resolve_device(name: str | None) -> str:
    """'auto' / None -> the first GPU, else CPU; otherwise the name as given, checked."""
    if not name or name == "auto":
        return cuda_devices()[0] if cuda_devices() else "cpu"
    if name.startswith("cuda") and not torch.cuda.is_available():
        from overfit_tui.core.errors import OverfitError

        raise OverfitError(f"device {name!r} asked for, but no CUDA device is visible (use --device cpu)")
    return name


def device_name(device: str) -> str:
    if device.startswith("cuda"):
        return torch.cuda.get_device_name(torch.device(device))
    import platform

    return platform.processor() or platform.machine() or "cpu"
