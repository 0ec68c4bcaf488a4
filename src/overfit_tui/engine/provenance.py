"""Provenance: what produced a result (package, torch, CUDA, device, host, python)."""

from __future__ import annotations

import platform
import socket
import sys


def provenance(device: str) -> dict:
    import torch

    from overfit_tui import __version__
    from overfit_tui.engine.data import DRAWS
    from overfit_tui.engine.device import device_name

    subsets = {k: v for draw in DRAWS.values() for k, v in draw.items()}  # data.n_train / n_test draws
    return {
        **subsets,
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
