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


def pinned(device: str | torch.device) -> bool:
    """Whether host tensors bound for `device` are staged in pinned memory (a GPU: the copy is then
    asynchronous, overlapping the step that runs; a CPU: no copy at all)."""
    return torch.device(device).type == "cuda"


def to_device(t: torch.Tensor, device: str | torch.device) -> torch.Tensor:
    """`t` on `device`: itself if already there; from the host to a GPU through pinned memory."""
    device = torch.device(device)
    if t.device.type == device.type and (device.index is None or t.device.index == device.index):
        return t
    if pinned(device) and t.device.type == "cpu":
        return t.pin_memory().to(device, non_blocking=True)
    return t.to(device)


def device_name(device: str) -> str:
    if device.startswith("cuda"):
        return torch.cuda.get_device_name(torch.device(device))
    import platform

    return platform.processor() or platform.machine() or "cpu"
