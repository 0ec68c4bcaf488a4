"""CUDA graphs for the training step: on a GPU a small model's step is bound by kernel
launches and Python dispatch (~25 launches), not by arithmetic. Capturing forward, loss,
backward and the SGD update once and replaying it per batch removes that overhead.

Used only on CUDA, with SGD (its update has no host-side step counter), without on-device
augmentation (random ops), and never for the last, smaller batch of an epoch (eager). The
first WARMUP_STEPS real steps run eagerly on a side stream, as capture requires; a change
of learning rate (per-epoch decay) or of the parameter tensors (a stacked run retired)
triggers a new capture. Set OVERFIT_TUI_CUDA_GRAPHS=0 to train eagerly.
"""

from __future__ import annotations

import os
from contextlib import contextmanager

import torch

from overfit_tui.engine.batches import batch_losses, gather_batch

WARMUP_STEPS = 3


def use_cuda_graphs(device: torch.device, spec, augment: bool) -> bool:
    return (
        device.type == "cuda"
        and spec.optimizer == "sgd"
        and not augment
        and os.environ.get("OVERFIT_TUI_CUDA_GRAPHS", "1") != "0"
    )


class GraphedStep:
    """One captured training step: gather (from a static index buffer), forward, backward, update."""

    def __init__(self, loss_kind: str):
        self.loss_kind = loss_kind
        self.graph: torch.cuda.CUDAGraph | None = None
        self.lr: float | None = None
        self.disabled = False  # set when capture fails: the loop goes on eagerly
        self._side = torch.cuda.Stream()

    def reset(self) -> None:
        self.graph = None

    @contextmanager
    def warmup(self):
        """Eager steps on a side stream (what capture needs to have happened first)."""
        self._side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(self._side):
            yield
        torch.cuda.current_stream().wait_stream(self._side)

    def _capture(self, net, opt, xtr, ytr, rows_idx, idx, lr: float) -> None:
        self.sources = (xtr, ytr, rows_idx)  # the graph reads their memory: keep them alive
        self.idx = idx.clone()
        torch.cuda.synchronize()
        self.graph = torch.cuda.CUDAGraph()
        opt.zero_grad(set_to_none=True)  # the graph allocates (and then owns) the gradients
        with torch.cuda.graph(self.graph):
            xb, yb = gather_batch(xtr, ytr, rows_idx, self.idx)  # the batch gather is part of the graph
            losses = batch_losses(net.forward(xb), yb, self.loss_kind)
            losses.sum().backward()
            opt.step()
        self.losses = losses.detach()
        self.lr = lr

    def step(self, net, opt, xtr, ytr, rows_idx, idx, lr: float) -> torch.Tensor | None:
        """Copy this batch's indices into the graph's buffer and replay; None if capture failed."""
        stale = self.graph is None or lr != self.lr or idx.shape != self.idx.shape
        if stale or self.sources[0] is not xtr:
            try:
                self._capture(net, opt, xtr, ytr, rows_idx, idx, lr)
            except RuntimeError:
                self.disabled, self.graph = True, None
                return None
        self.idx.copy_(idx)
        self.graph.replay()
        return self.losses
