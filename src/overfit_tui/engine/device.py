"""Devices and threads: the visible GPUs, their names, and torch's thread count set deliberately."""

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


def device_name(device: str) -> str:
    if device.startswith("cuda"):
        return torch.cuda.get_device_name(torch.device(device))
    import platform

    return platform.processor() or platform.machine() or "cpu"
