"""Devices and threads: pick the training device, set torch's thread count deliberately."""

from __future__ import annotations

import os

import torch

from overfit_tui.core.system import worker_threads


def configure_threads(n: int | None = None) -> int:
    n = n or int(os.environ.get("OVERFIT_TUI_THREADS", 0)) or worker_threads()
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
