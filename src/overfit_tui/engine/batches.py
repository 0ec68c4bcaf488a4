"""The two pieces of a training step shared by the eager loop and the captured CUDA graph:
the per-member loss of a stacked batch, and the batch gather (index slices of device-resident sets)."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def batch_losses(out: torch.Tensor, y: torch.Tensor, kind: str, reduce: str = "mean") -> torch.Tensor:
    """Per-member loss [K] of outputs [K, B, C] against labels [K, B]."""
    k, b, c = out.shape
    if kind == "ce":
        per = F.cross_entropy(out.reshape(k * b, c), y.reshape(k * b), reduction="none").view(k, b)
    else:
        per = (out - F.one_hot(y, c).to(out.dtype)).pow(2).sum(-1)
    return per.mean(1) if reduce == "mean" else per.sum(1)


def gather_batch(xtr, ytr, rows_idx, idx) -> tuple[torch.Tensor, torch.Tensor]:
    """The batch of every stacked member: index slices of the device-resident sets."""
    if xtr.shape[0] == 1:  # plain index_select: cheaper than advanced indexing
        return xtr[0].index_select(0, idx[0]).unsqueeze(0), ytr[0].index_select(0, idx[0]).unsqueeze(0)
    return xtr[rows_idx, idx], ytr[rows_idx, idx]
