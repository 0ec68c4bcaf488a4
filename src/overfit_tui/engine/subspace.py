"""A model trained in a random subspace of its parameters (Li, Farkhoor, Liu, Yosinski 2018):
θ = θ₀ + P θ_d, with θ₀ the base model's own initialization (frozen) and θ_d (zeros at the
start) the only trained tensor.

`SubspaceModel` is an `nn.Module` whose single parameter is θ_d, so the engine's loop,
evaluation, hooks and optimizer train it unchanged. Its forward pass is a functional call of
the base model with θ₀ + P θ_d. Every parameter of the base model is in θ: weights, biases
and BatchNorm's affine parameters. The base model stays a registered submodule (its
parameters turned into buffers), so `.eval()` / `.train()` and `.to()` reach it, and
BatchNorm's running statistics update in training mode as usual.

Weight decay acts on the full θ, as in the reference code's L2 on every layer: the gradient
reaching θ is dL/dθ + wd * θ, hence θ_d gets Pᵀ(dL/dθ + wd * θ). (Decaying θ_d itself would
pull θ towards θ₀, not towards 0.) The loop's optimizer must then run without weight decay.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.func import functional_call

from overfit_tui.engine.projections import Projection


class _DecayGrad(torch.autograd.Function):
    """Identity forward; the backward adds wd * θ (the gradient of wd/2 |θ|^2)."""

    @staticmethod
    def forward(ctx, theta, wd: float):
        ctx.save_for_backward(theta)
        ctx.wd = wd
        return theta.view_as(theta)

    @staticmethod
    def backward(ctx, g):
        (theta,) = ctx.saved_tensors
        return g + ctx.wd * theta, None


def flat_params(model: nn.Module) -> tuple[list[str], list[torch.Size], torch.Tensor]:
    """Names, shapes and the concatenation of every parameter (weights, biases, BN affine)."""
    named = list(model.named_parameters())
    return [n for n, _ in named], [p.shape for _, p in named], torch.cat([p.detach().reshape(-1) for _, p in named])


class SubspaceModel(nn.Module):
    """base(x) with parameters θ₀ + P θ_d; θ_d is the only parameter."""

    def __init__(self, base: nn.Module, projection: Projection, weight_decay: float = 0.0):
        super().__init__()
        names, shapes, theta0 = flat_params(base)
        if theta0.numel() != projection.D:
            raise ValueError(
                f"the projection maps to D = {projection.D:,}, the model has {theta0.numel():,} parameters"
            )
        for name in names:  # the base's parameters become frozen buffers: θ₀, moved by .to()
            mod_name, _, leaf = name.rpartition(".")
            mod = base.get_submodule(mod_name)
            t = mod._parameters.pop(leaf).detach()
            mod.register_buffer(leaf, t)
        self.base = base
        self.projection = projection
        self.register_buffer("theta0", theta0)
        self.theta_d = nn.Parameter(torch.zeros(projection.d, device=theta0.device, dtype=theta0.dtype))
        self.names, self.shapes = names, shapes
        self.sizes = [math.prod(s) for s in shapes]
        self.weight_decay = weight_decay

    @property
    def D(self) -> int:
        return self.theta0.numel()

    @property
    def d(self) -> int:
        return self.theta_d.numel()

    def theta(self) -> torch.Tensor:
        """The full parameter vector θ₀ + P θ_d."""
        return self.theta0 + self.projection(self.theta_d)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        theta = self.theta()
        if self.weight_decay and theta.requires_grad:
            theta = _DecayGrad.apply(theta, self.weight_decay)
        parts = torch.split(theta, self.sizes)
        params = {n: t.view(s) for n, t, s in zip(self.names, parts, self.shapes)}
        return functional_call(self.base, params, (x,))
