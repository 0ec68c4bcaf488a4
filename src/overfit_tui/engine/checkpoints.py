"""Checkpoints a study asks for (layer robustness, lottery tickets): saved under the run's
folder, loaded with `torch.load(..., weights_only=True)` so a checkpoint can never run code."""

from __future__ import annotations

import os
from pathlib import Path

import torch


def save_checkpoint(run_dir: Path, name: str, state: dict[str, torch.Tensor]) -> Path:
    """Write `state` (tensors only) to run_dir/checkpoints/name.pt atomically."""
    path = Path(run_dir) / "checkpoints" / f"{name}.pt"
    path.parent.mkdir(parents=True, exist_ok=True)  # a name may hold a folder: "weights/init"
    tmp = path.with_suffix(".pt.tmp")
    torch.save({k: v.detach().cpu() for k, v in state.items()}, tmp)
    os.replace(tmp, path)
    return path


def load_checkpoint(path: Path, device: str = "cpu") -> dict[str, torch.Tensor]:
    return torch.load(path, map_location=device, weights_only=True)


def list_checkpoints(run_dir: Path) -> list[str]:
    return sorted(p.stem for p in (Path(run_dir) / "checkpoints").glob("*.pt"))


# -- every trained run's weights (issue 32: complexity measures on any finished group) ----------
# under checkpoints/weights/, apart from the checkpoints a study asks for (list_checkpoints)
WEIGHTS_INIT, WEIGHTS_FINAL, WEIGHTS_DATA = "weights/init", "weights/final", "weights/data"
WEIGHTS_CAP_MB = 50.0  # a run whose state is larger keeps no weights (GPU presets must not fill disks)
CAP_ENV = "OVERFIT_TUI_WEIGHTS_CAP_MB"  # overrides the cap (0 = keep no weights at all)


def weights_cap_mb() -> float:
    try:
        return float(os.environ.get(CAP_ENV, WEIGHTS_CAP_MB))
    except ValueError:
        return WEIGHTS_CAP_MB


def state_mb(state: dict[str, torch.Tensor]) -> float:
    return sum(t.numel() * t.element_size() for t in state.values()) / 1e6


@torch.no_grad()
def fingerprint(x: torch.Tensor) -> torch.Tensor:
    """A few float64 sums that tell a training set's inputs apart cheaply, on their device: n, the
    size of a sample, sum, sum of |x| and of x^2, and sums weighted by feature and by sample
    position (a pixel or sample shuffle moves those). Compared with `same_inputs`."""
    n = x.shape[0]
    flat = x.reshape(n, -1).double()
    wf = torch.cos(torch.arange(flat.shape[1], device=x.device, dtype=torch.float64) * 0.7548776662)
    ws = torch.cos(torch.arange(n, device=x.device, dtype=torch.float64) * 0.5698402910)
    sums = torch.stack([flat.sum(), flat.abs().sum(), flat.pow(2).sum(), (flat @ wf).sum(), (ws @ flat).sum()])
    return torch.cat([torch.tensor([float(n), float(flat.shape[1])], dtype=torch.float64), sums.cpu()])


def same_inputs(a: torch.Tensor, b: torch.Tensor) -> bool:
    """Two fingerprints of the same inputs (reduction orders differ between devices: each sum
    within 1e-8 of itself plus sum |x|)."""
    if a.shape != b.shape or bool(a[0] != b[0]) or bool(a[1] != b[1]):
        return False
    scale = torch.maximum(a[2:].abs(), b[2:].abs()) + float(max(a[3], b[3]))
    return bool(((a[2:] - b[2:]).abs() <= 1e-8 * scale).all())


class KeepWeights:
    """Saves each run's first initial and its final state dict through `save(i, name, state)`
    (CPU tensors), with the labels it trained on and a fingerprint of its training inputs, so
    that measures of the trained net can be taken after the fact. The owner (the runner's
    ExecContext) calls `start(loop)` from its on_start and `done(run, result)` from its on_done,
    before it records the run: a finished record then always finds its weights on disk.
    A state over the cap is not saved, nor one mostly frozen (a subspace net: its trained
    parameters are not a net's weights); `done` says why in the run's summary (`weights`)."""

    def __init__(self, save):
        self.save = save
        self.loop = None
        self.kept: dict[int, str] = {}  # run -> "saved" or why not

    def start(self, loop) -> None:
        self.loop = loop
        cap = weights_cap_mb()
        for member in loop.members:
            run = member.run
            if run in self.kept or run not in loop.runs:
                continue  # a later round of the same run (lottery): its first init is the init
            state = loop.state(run)
            mb = state_mb(state)
            if cap <= 0 or mb > cap:
                self.kept[run] = f"not saved: {mb:.1f} MB over the {cap:g} MB cap ({CAP_ENV})"
                continue
            trained = sum(p.numel() for p in member.model.parameters())
            if trained < 0.5 * sum(t.numel() for t in state.values()):  # intrinsic dimension's subspace nets
                self.kept[run] = f"not saved: {trained:,} trained parameters in a larger frozen net (a subspace)"
                continue
            self.save(run, WEIGHTS_INIT, state)
            self.save(run, WEIGHTS_DATA, {"y_train": member.y_train, "x_fingerprint": fingerprint(member.x_train)})
            self.kept[run] = "saved"

    def done(self, run: int, result) -> None:
        note = self.kept.get(run)
        if note is None:
            return  # the run never started through this loop's on_start: nothing to pair
        if note == "saved":
            state = result.state
            if state is None:
                try:
                    state = self.loop.state(run)
                except (StopIteration, AttributeError):
                    note = "not saved: the final state was gone"
            if state is not None:
                self.save(run, WEIGHTS_FINAL, state)
        result.extra["weights"] = note
