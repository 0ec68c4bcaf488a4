"""Masks for the lottery-ticket study (Frankle & Carbin 2019): which tensors are prunable,
magnitude pruning per layer or globally, random pruning to the same per-layer counts, and
the hooks that keep masked weights at exactly zero and keep early-stopping books.

A mask is a dict {parameter name: 0/1 tensor of its shape} over the prunable tensors only.
Prunable: the weight of every Linear and Conv layer, and its bias where `biases` is set
(a layer's weight and bias are then ranked together, as the MNIST-1D authors' notebook
does). The last Linear layer is the output layer and has its own rate. Counts are exact:
a layer keeping n weights prunes round(rate * n) of them, the smallest by |trained value|
(ties broken by position), never more.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from overfit_tui.core.events import PointEvent
from overfit_tui.engine.hooks import Hook
from overfit_tui.engine.loop import evaluate
from overfit_tui.studies.shared.imp_counts import keep_count


@dataclass(frozen=True)
class Layer:
    """One prunable layer: its tensor names and its role (conv, fc or output)."""

    names: tuple[str, ...]  # the weight, then the bias where biases are pruned
    kind: str  # "conv", "fc" or "output"


def prunable_layers(model: nn.Module, biases: bool = False) -> list[Layer]:
    """Every Linear / Conv layer in module order; the last Linear is the output layer."""
    found = []
    for name, m in model.named_modules():
        if isinstance(m, (nn.Linear, nn.Conv1d, nn.Conv2d)):
            names = [f"{name}.weight"]
            if biases and m.bias is not None:
                names.append(f"{name}.bias")
            found.append((tuple(names), "fc" if isinstance(m, nn.Linear) else "conv"))
    last = max((i for i, (_, k) in enumerate(found) if k == "fc"), default=None)
    return [Layer(names, "output" if i == last else kind) for i, (names, kind) in enumerate(found)]


def dense_mask(model: nn.Module, layers: list[Layer]) -> dict[str, torch.Tensor]:
    params = dict(model.named_parameters())
    return {n: torch.ones_like(params[n], device="cpu") for layer in layers for n in layer.names}


def _flat(t: dict[str, torch.Tensor], names) -> torch.Tensor:
    return torch.cat([t[n].detach().reshape(-1).float().cpu() for n in names])


def _unflat(flat: torch.Tensor, like: dict[str, torch.Tensor], names) -> dict[str, torch.Tensor]:
    out, at = {}, 0
    for n in names:
        k = like[n].numel()
        out[n] = flat[at : at + k].reshape(like[n].shape).clone()
        at += k
    return out


def _keep_largest(scores: torch.Tensor, alive: torch.Tensor, keep: int) -> torch.Tensor:
    """A 0/1 vector keeping the `keep` largest scores among the alive entries (stable on ties)."""
    s = torch.where(alive > 0, scores, torch.full_like(scores, -1.0))  # dead entries rank last
    order = torch.argsort(s, descending=True, stable=True)
    out = torch.zeros_like(scores)
    out[order[:keep]] = 1.0
    return out


def magnitude_prune(
    weights: dict[str, torch.Tensor],
    mask: dict[str, torch.Tensor],
    layers: list[Layer],
    rates: dict[str, float],
    strategy: str = "layerwise",
) -> dict[str, torch.Tensor]:
    """The next IMP mask: prune a fraction of each layer's remaining weights (layerwise), or of
    all non-output layers' remaining weights together (global, as open_lth; the output layer
    then keeps its own rate, 0 = not pruned), the smallest |w| first."""
    new: dict[str, torch.Tensor] = {}
    groups = [([la], rates[la.kind]) for la in layers]
    if strategy == "global":
        hidden = [la for la in layers if la.kind != "output"]
        groups = [(hidden, rates["fc"]), *(([la], rates["output"]) for la in layers if la.kind == "output")]
    for group, rate in groups:
        names = [n for la in group for n in la.names]
        alive = _flat(mask, names)
        scores = _flat(weights, names).abs()
        keep = keep_count(int(alive.sum().item()), rate)
        new.update(_unflat(_keep_largest(scores, alive, keep), mask, names))
    return new


def random_like(mask: dict[str, torch.Tensor], layers: list[Layer], seed: int) -> dict[str, torch.Tensor]:
    """A random mask with each layer's count of survivors (open_lth's 'randomly_prune', layerwise)."""
    g = torch.Generator().manual_seed(seed)
    out: dict[str, torch.Tensor] = {}
    for la in layers:
        alive = _flat(mask, la.names)
        flat = alive[torch.randperm(alive.numel(), generator=g)]
        out.update(_unflat(flat, mask, la.names))
    return out


def remaining(mask: dict[str, torch.Tensor], layers: list[Layer]) -> float:
    """Fraction of the prunable tensors' entries still alive (the paper's '% of weights remaining';
    biases count only where they are pruned)."""
    names = [n for la in layers for n in la.names]
    return sum(mask[n].sum().item() for n in names) / sum(mask[n].numel() for n in names)


def per_layer(mask: dict[str, torch.Tensor], layers: list[Layer]) -> list[float]:
    """Each layer's fraction alive, in module order."""
    return [sum(mask[n].sum().item() for n in la.names) / sum(mask[n].numel() for n in la.names) for la in layers]


def layer_sizes(model: nn.Module, layers: list[Layer]) -> list[tuple[str, int]]:
    params = dict(model.named_parameters())
    return [(la.kind, sum(params[n].numel() for n in la.names)) for la in layers]


def apply_mask(model: nn.Module, mask: dict[str, torch.Tensor]) -> None:
    params = dict(model.named_parameters())
    with torch.no_grad():
        for n, m in mask.items():
            params[n].mul_(m.to(params[n].device, params[n].dtype))


class MaskHook(Hook):
    """Re-zeroes each run's pruned weights after every optimizer step (and before the first),
    so masked weights are exactly zero at every forward pass whatever the optimizer's state."""

    def __init__(self, masks: dict[int, dict[str, torch.Tensor]]):
        self.masks = masks

    def _apply(self, loop) -> None:
        with torch.no_grad():
            for run in loop.runs:
                live = loop.params(run)
                for n, m in self.masks[run].items():
                    live[n].mul_(m)

    def on_start(self, loop) -> None:
        dev = loop.device
        self.masks = {r: {n: m.to(dev) for n, m in ms.items()} for r, ms in self.masks.items()}
        self._apply(loop)

    def after_step(self, loop) -> None:
        self._apply(loop)


class EarlyStopBooks(Hook):
    """Evaluates every `every` steps on a validation split held out of the training set (and on
    the test set), and records for each run the step of minimum validation loss with the test
    accuracy there (Frankle & Carbin's early-stopping criterion). Also captures each listed
    run's weights at step `rewind_step` (θ_k) for rewinding. `sink` receives the val points."""

    def __init__(self, val: dict, test: dict, every: int, loss: str, sink: Hook, rewind_step=0, capture=()):
        self.val, self.test, self.every, self.loss, self.sink = val, test, every, loss, sink
        self.rewind_step, self.capture = rewind_step, set(capture)
        self.best: dict[int, tuple[float, int, float, float]] = {}  # run -> (val loss, step, test acc, val acc)
        self.rewound: dict[int, dict[str, torch.Tensor]] = {}
        self._stacked: tuple | None = None

    def _sets(self, loop):
        runs = tuple(loop.runs)
        if self._stacked is None or self._stacked[0] != runs:
            st = lambda d, j: torch.stack([d[r][j] for r in runs]).to(loop.device)
            self._stacked = (runs, st(self.val, 0), st(self.val, 1), st(self.test, 0), st(self.test, 1))
        return self._stacked[1:]

    def _check(self, loop) -> None:
        xv, yv, xt, yt = self._sets(loop)
        vl, va = evaluate(loop.net, xv, yv, self.loss)
        _, ta = evaluate(loop.net, xt, yt, self.loss)
        rows = torch.stack([vl, va, ta], 1).tolist()
        for run, (v_loss, v_acc, t_acc) in zip(loop.runs, rows):
            vals = {"val_loss": v_loss, "val_acc": v_acc, "test_acc": t_acc}
            self.sink.on_event(run, PointEvent("val", loop.step, vals, loop.wall()))
            if math.isfinite(v_loss) and (run not in self.best or v_loss < self.best[run][0]):
                self.best[run] = (v_loss, loop.step, t_acc, v_acc)

    def _maybe_capture(self, loop) -> None:
        if loop.step == self.rewind_step:
            for run in loop.runs:
                if run in self.capture:
                    self.rewound[run] = {k: v.cpu() for k, v in loop.state(run).items()}

    def on_start(self, loop) -> None:
        self._maybe_capture(loop)
        self._check(loop)

    def after_step(self, loop) -> None:
        self._maybe_capture(loop)
        if loop.step % self.every == 0:
            self._check(loop)

    def on_done(self, run: int, result) -> None:
        if run in self.best:
            v_loss, step, t_acc, v_acc = self.best[run]
            result.extra.update(
                early_stop_step=step, early_stop_test_acc=t_acc, early_stop_val_acc=v_acc, min_val_loss=v_loss
            )
