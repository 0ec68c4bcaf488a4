"""Loss-landscape probes along the gradient (Santurkar, Tsipras, Ilyas, Madry 2018, Sec. 3.1, Fig. 4).

At a training step, on the step's own batch, take the gradient g = grad L(w) and, for step sizes
eta on a log grid around the training learning rate, evaluate

- the loss L(w - eta g): its min and max over eta are the "variation of the loss" band;
- the gradient there: "gradient predictiveness" is ||grad L(w - eta g) - grad L(w)|| (min and max over eta);
- the "effective beta-smoothness": max over eta of ||grad L(w - eta g) - grad L(w)|| / ||eta g||.

All eta at once: the weights are stacked into [E, ...] copies w - eta g and one vmapped
grad-and-value call (torch.func) evaluates every copy, so a probe costs about one batched
forward/backward pass (bench/bench_bnsmooth.py). The live weights are never written; BatchNorm
normalizes with the batch's statistics without touching its running statistics (they are not
even passed in), noisy BatchNorm holds one noise draw for the whole probe, and the global random
state is restored afterwards: training goes on exactly as without the probe.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass

import torch
from torch import nn
from torch.func import functional_call, grad_and_value, vmap

from overfit_tui.core.events import PointEvent
from overfit_tui.engine.batches import batch_losses
from overfit_tui.engine.hooks import Hook
from overfit_tui.engine.models import NoisyBatchNorm1d, NoisyBatchNorm2d
from overfit_tui.engine.nets import SingleNet

PROBE_KEYS = ("loss", "loss_min", "loss_max", "grad_change_min", "grad_change_max", "beta", "grad_norm")


@dataclass(frozen=True)
class Probe:
    """One probe: the loss and gradient measured along -g from the weights w."""

    loss: float  # L(w) on the batch
    loss_min: float  # min over eta of L(w - eta g)
    loss_max: float  # max over eta of L(w - eta g)
    grad_change_min: float  # min over eta of ||grad L(w - eta g) - grad L(w)||
    grad_change_max: float  # max over eta of the same
    beta: float  # max over eta of ||grad L(w - eta g) - grad L(w)|| / ||eta g||
    grad_norm: float  # ||g||

    def values(self) -> dict[str, float | None]:
        """The probe as event values (non-finite numbers as None: the metrics log is JSON)."""
        return {k: (v if math.isfinite(v) else None) for k, v in ((k, getattr(self, k)) for k in PROBE_KEYS)}


def eta_grid(lr: float, lo: float, hi: float, n: int) -> torch.Tensor:
    """n step sizes from lo*lr to hi*lr, evenly spaced in log scale (float64 on the CPU)."""
    return lr * torch.logspace(math.log10(lo), math.log10(hi), n, dtype=torch.float64)


def probe_along_gradient(
    loss_fn: Callable[[dict[str, torch.Tensor]], torch.Tensor],
    params: dict[str, torch.Tensor],
    etas: torch.Tensor,
    chunk: int | None = None,
) -> Probe:
    """Probe a loss (a function of a parameter dict) along its negative gradient at `params`.

    `params` are read, never written. `chunk` bounds how many eta copies are evaluated at once
    (memory); None evaluates all of them in one vmapped call."""
    w = {n: t.detach() for n, t in params.items()}
    g, loss = grad_and_value(loss_fn)(w)
    like = next(iter(w.values()))
    eta = etas.to(device=like.device, dtype=like.dtype)

    def along(t: torch.Tensor) -> torch.Tensor:
        return eta.view(-1, *([1] * t.dim()))

    moved = {n: w[n].unsqueeze(0) - along(w[n]) * g[n].unsqueeze(0) for n in w}
    grads, losses = vmap(grad_and_value(loss_fn), chunk_size=chunk)(moved)
    change = torch.sqrt(sum((grads[n] - g[n].unsqueeze(0)).pow(2).flatten(1).sum(1) for n in w))
    g_norm = torch.sqrt(sum(g[n].pow(2).sum() for n in w))
    beta = (change / (eta * g_norm)).max()
    stats = torch.stack([loss, losses.min(), losses.max(), change.min(), change.max(), beta, g_norm])
    return Probe(*stats.double().tolist())  # the probe's one host sync


def model_loss(
    model: nn.Module, buffers: dict[str, torch.Tensor], x: torch.Tensor, y: torch.Tensor, kind: str
) -> Callable[[dict[str, torch.Tensor]], torch.Tensor]:
    """The mean training loss of `model` on the batch (x, y) as a function of its parameters."""

    def loss_fn(p: dict[str, torch.Tensor]) -> torch.Tensor:
        out = functional_call(model, (p, buffers), (x,))
        return batch_losses(out.unsqueeze(0).float(), y.unsqueeze(0), kind)[0]

    return loss_fn


@contextmanager
def probing(model: nn.Module, device: torch.device | None = None):
    """While probing: training mode, BatchNorm on batch statistics with its running statistics
    left alone, noisy BatchNorm holding one noise draw (the random state it draws from, CPU and
    `device` when it is a GPU, saved and restored; nothing else in a probe draws random numbers).
    Everything is put back as it was on exit, also on an error."""
    bns = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    noisy = [m for m in bns if isinstance(m, (NoisyBatchNorm1d, NoisyBatchNorm2d))]
    modes = [(m, m.training) for m in model.modules()]
    tracked = [m.track_running_stats for m in bns]
    cuda = [device] if device is not None and device.type == "cuda" else []
    try:
        with torch.random.fork_rng(devices=cuda, enabled=bool(noisy)):
            model.train(True)
            for m in bns:
                m.track_running_stats = False  # batch statistics, running ones neither read nor updated
            for m in noisy:
                m.hold, m.held = True, None
            yield
    finally:
        for m, t in zip(bns, tracked):
            m.track_running_stats = t
        for m in noisy:
            m.hold, m.held = False, None
        for m, mode in modes:
            m.training = mode


def probe_model(
    model: nn.Module,
    params: dict[str, torch.Tensor],
    buffers: dict[str, torch.Tensor],
    x: torch.Tensor,
    y: torch.Tensor,
    kind: str,
    etas: torch.Tensor,
    chunk: int | None = None,
) -> Probe:
    """Probe a network's training loss on one batch (see the module docstring)."""
    with probing(model, next(iter(params.values())).device):
        if any(isinstance(m, (NoisyBatchNorm1d, NoisyBatchNorm2d)) for m in model.modules()):
            with torch.no_grad():  # draw the held noise eagerly, outside the function transforms
                functional_call(model, ({n: t.detach() for n, t in params.items()}, buffers), (x,))
        return probe_along_gradient(model_loss(model, buffers, x, y, kind), params, etas, chunk)


class LandscapeProbe(Hook):
    """A loop hook: every `every` steps, probes each training run on its last batch and sends a
    PointEvent "probe" (x = step) through the loop's hooks; on a run's end, adds the means over
    its finite probes to the summary (loss_range, grad_change, beta)."""

    def __init__(self, every: int, lo: float, hi: float, n: int, chunk: int = 0):
        self.every, self.lo, self.hi, self.n = every, lo, hi, n
        self.chunk = chunk or None
        self.probes: dict[int, list[Probe]] = {}

    def after_step(self, loop) -> None:
        if loop.step % self.every:
            return
        etas = eta_grid(loop.lr(), self.lo, self.hi, self.n)
        xb, yb = loop.batch
        for row, run in enumerate(loop.runs):
            model, buffers = _model_of(loop.net, row)
            p = probe_model(model, loop.params(run), buffers, xb[row], yb[row], loop.spec.loss, etas, self.chunk)
            self.probes.setdefault(run, []).append(p)
            loop.hooks.on_event(run, PointEvent("probe", loop.step, p.values(), loop.wall()))

    def on_done(self, run: int, result) -> None:
        result.extra.update(summarize(self.probes.get(run, [])))


def summarize(probes: list[Probe]) -> dict[str, float | int | None]:
    """Means over the finite probes of a run: loss range (max - min), largest gradient change, beta."""
    ok = [p for p in probes if all(math.isfinite(getattr(p, k)) for k in PROBE_KEYS)]

    def mean(vals: list[float]) -> float | None:
        return sum(vals) / len(vals) if vals else None

    return {
        "loss_range": mean([p.loss_max - p.loss_min for p in ok]),
        "grad_change": mean([p.grad_change_max for p in ok]),
        "beta": mean([p.beta for p in ok]),
        "probes": len(ok),
    }


def _model_of(net, row: int) -> tuple[nn.Module, dict[str, torch.Tensor]]:
    """The module to call functionally and the member's buffers (a stacked net's base is on 'meta')."""
    if isinstance(net, SingleNet):
        return net.model, dict(net.model.named_buffers())
    return net.base, {n: b[row] for n, b in net.buffers.items()}
