"""Checkpoints a study asks for (layer robustness, lottery tickets): saved under the run's
folder, loaded with `torch.load(..., weights_only=True)` so a checkpoint can never run code."""

from __future__ import annotations

import os
from pathlib import Path

import torch


def save_checkpoint(run_dir: Path, name: str, state: dict[str, torch.Tensor]) -> Path:
    """Write `state` (tensors only) to run_dir/checkpoints/name.pt atomically."""
    folder = Path(run_dir) / "checkpoints"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.pt"
    tmp = path.with_suffix(".pt.tmp")
    torch.save({k: v.detach().cpu() for k, v in state.items()}, tmp)
    os.replace(tmp, path)
    return path


def load_checkpoint(path: Path, device: str = "cpu") -> dict[str, torch.Tensor]:
    return torch.load(path, map_location=device, weights_only=True)


def list_checkpoints(run_dir: Path) -> list[str]:
    return sorted(p.stem for p in (Path(run_dir) / "checkpoints").glob("*.pt"))
