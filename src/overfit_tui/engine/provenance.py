"""Provenance: what produced a result (package, torch, CUDA, device, host, python)."""

from __future__ import annotations

import platform
import socket
import sys

from overfit_tui import __version__


def provenance(device: str, data: dict | None = None) -> dict:
    """`data`: what the run's own data spec drew (engine/data.DRAWS[spec]: the subset's seed and
    per-class counts); a warm worker serves several data sets, so it is never read from others."""
    import torch

    from overfit_tui.engine.device import device_name  # lazy: torch; importing provenance stays torch-free

    return {
        **(data or {}),
        "overfit_tui": __version__,
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "cudnn": torch.backends.cudnn.version() if torch.cuda.is_available() else None,
        "device": device,
        "device_name": device_name(device),
        "threads": torch.get_num_threads(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "host": socket.gethostname(),
    }
