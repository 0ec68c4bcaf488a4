"""One model or a stack of same-shaped models behind one interface, so the loop never cares.

`StackedNet` trains K copies together: their parameters are stacked into [K, ...] leaves
(torch.func.stack_module_state) and the forward pass is vmapped, or, for plain MLPs, explicit
batched matmuls (baddbmm: ~40 % cheaper than vmap(functional_call) on CPU, issue 29). SGD, momentum, weight
decay and Adam act elementwise, so one optimizer over the stacked leaves is exactly K
independent optimizers, and the gradient of the sum of the K losses is each model's own.
"""

from __future__ import annotations

import copy

import torch
from torch import nn
from torch.func import functional_call, stack_module_state

from overfit_tui.engine.fused import mlp_linears


def _linear_names(model: nn.Module) -> list[str] | None:
    """The module names of a plain MLP's Linear layers (engine/fused.py), or None."""
    layers = mlp_linears(model)
    if layers is None:
        return None
    names = {id(m): n for n, m in model.named_modules()}
    return [names[id(m)] for m in layers]


class SingleNet:
    """A single nn.Module seen as a stack of one: inputs and outputs carry a leading axis of 1."""

    stacked = None

    def __init__(self, model: nn.Module):
        self.model = model
        self.linears = _linear_names(model)  # set for plain MLPs: the fused step applies

    def params(self) -> list[torch.Tensor]:
        return list(self.model.parameters())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x[0]).unsqueeze(0)

    def train(self, mode: bool = True) -> None:
        self.model.train(mode)

    def member_state(self, k: int) -> dict[str, torch.Tensor]:
        return {n: t.detach().clone() for n, t in self.model.state_dict().items()}

    def member_params(self, k: int) -> dict[str, torch.Tensor]:
        return dict(self.model.named_parameters())

    def load_member(self, k: int, state: dict[str, torch.Tensor]) -> None:
        """Copy `state` (some or all tensors) into the live parameters and buffers, in place."""
        live = self.model.state_dict()
        with torch.no_grad():
            for n, t in state.items():
                live[n].copy_(t)

    def keep(self, rows: list[int], opt: torch.optim.Optimizer) -> torch.optim.Optimizer:
        return opt


class StackedNet:
    """K same-shaped models without BatchNorm or dropout, trained as one vmapped function."""

    def __init__(self, models: list[nn.Module]):
        self.stacked, self.buffers = stack_module_state(models)
        self.base = copy.deepcopy(models[0]).to("meta")
        self.names = list(self.stacked)
        self.linears = _linear_names(models[0])  # plain MLP: baddbmm forward, and the fused step applies

        def call(p, b, x):
            return functional_call(self.base, (p, b), (x,))

        self._fwd = torch.vmap(call)

    def params(self) -> list[torch.Tensor]:
        return [self.stacked[n] for n in self.names]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.linears is None:
            return self._fwd(self.stacked, self.buffers, x)
        h = x.flatten(2)
        for i, n in enumerate(self.linears):
            h = torch.baddbmm(self.stacked[f"{n}.bias"].unsqueeze(1), h, self.stacked[f"{n}.weight"].transpose(1, 2))
            if i < len(self.linears) - 1:
                h = h.relu()
        return h

    def train(self, mode: bool = True) -> None:
        self.base.train(mode)

    def member_state(self, k: int) -> dict[str, torch.Tensor]:
        state = {n: self.stacked[n][k].detach().clone() for n in self.names}
        state.update({n: b[k].clone() for n, b in self.buffers.items()})
        return state

    def member_params(self, k: int) -> dict[str, torch.Tensor]:
        """Member k's parameters as live views into the stacked leaves (modify under no_grad)."""
        return {n: self.stacked[n][k] for n in self.names}

    def load_member(self, k: int, state: dict[str, torch.Tensor]) -> None:
        with torch.no_grad():
            for n, t in state.items():
                (self.stacked[n] if n in self.stacked else self.buffers[n])[k].copy_(t)

    def keep(self, rows: list[int], opt: torch.optim.Optimizer) -> torch.optim.Optimizer:
        """Drop finished members: slice every stacked leaf and its optimizer state to `rows`."""
        idx = torch.tensor(rows, device=self.params()[0].device)
        old = self.params()
        states = [opt.state.get(p, {}) for p in old]
        for n in self.names:
            self.stacked[n] = self.stacked[n].detach()[idx].clone().requires_grad_(True)
        self.buffers = {n: b[idx] for n, b in self.buffers.items()}
        new_opt = type(opt)(self.params(), **opt.defaults)
        new_opt.param_groups[0]["lr"] = opt.param_groups[0]["lr"]
        for p, st in zip(self.params(), states):
            new_opt.state[p] = {
                k: (v[idx].clone() if torch.is_tensor(v) and v.dim() > 0 and v.shape[0] == len(old[0]) else v)
                for k, v in st.items()
            }
        return new_opt
