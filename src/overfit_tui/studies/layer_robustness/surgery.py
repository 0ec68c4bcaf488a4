"""Layer surgery for the layer-robustness study (Zhang, Bengio, Singer 2019): what a "layer"
is, the variants of a trained model with one layer replaced, and their batched evaluation.

A layer is a convolution or linear module: its weight and bias, plus, when `bn_travels`,
the BatchNorm right after it (its scale and shift *and* its running statistics). With
`bn_travels` off, BatchNorm stays at its final values whatever happens to the layer.

Evaluation is batched: the variants of one layer (every checkpoint and every re-randomization
draw) differ only in that layer's tensors, so they are stacked along a new axis and the model
runs once over the stack (`torch.func.functional_call` under `vmap`, the other tensors shared),
in eval mode, over whole sets in chunks of `eval_chunk` sample-variants: one pass per layer,
never one per cell.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import torch
from torch import nn
from torch.func import functional_call

WEIGHT_LAYERS = (nn.Linear, nn.Conv1d, nn.Conv2d)


@dataclass(frozen=True)
class Layer:
    """One weight layer of a model, named for the heatmap's rows."""

    index: int
    name: str  # conv1, fc2, ... (per kind, in forward order)
    module: str  # the module's path in the model, e.g. "3" or "features.0"
    params: int  # weight + bias (what re-initialization replaces, BatchNorm aside)
    keys: tuple[str, ...]  # state keys of its weight and bias
    bn_keys: tuple[str, ...] = ()  # state keys of the BatchNorm that follows it (parameters and running stats)

    def state_keys(self, bn_travels: bool) -> tuple[str, ...]:
        return self.keys + (self.bn_keys if bn_travels else ())


def find_layers(model: nn.Module) -> list[Layer]:
    """The model's convolution and linear layers in forward (registration) order, each with the
    BatchNorm that directly follows it, if any."""
    found: list[dict] = []
    counts = {"conv": 0, "fc": 0}
    for path, m in model.named_modules():
        if isinstance(m, WEIGHT_LAYERS):
            kind = "fc" if isinstance(m, nn.Linear) else "conv"
            counts[kind] += 1
            keys = tuple(f"{path}.{n}" for n, _ in m.named_parameters(recurse=False))
            out = m.out_features if isinstance(m, nn.Linear) else m.out_channels
            found.append(
                {"name": f"{kind}{counts[kind]}", "module": path, "keys": keys, "out": out, "bn": (), "n": _numel(m)}
            )
        elif isinstance(m, nn.modules.batchnorm._BatchNorm) and found and not found[-1]["bn"]:
            if m.num_features == found[-1]["out"]:
                found[-1]["bn"] = tuple(f"{path}.{n}" for n, _ in m.state_dict().items())
    return [Layer(i, f["name"], f["module"], f["n"], f["keys"], f["bn"]) for i, f in enumerate(found)]


def _numel(m: nn.Module) -> int:
    return sum(p.numel() for p in m.parameters(recurse=False))


class VariantEvaluator:
    """Train and test error of a model under many one-layer replacements, batched per layer.

    `final` is the trained state (parameters and buffers); a variant is a dict holding new
    values for some of its keys (one layer's). Every variant passed to one `errors()` call must
    replace the same keys: they are stacked and evaluated in one vmapped pass per chunk."""

    def __init__(
        self,
        model: nn.Module,
        final: dict[str, torch.Tensor],
        data: tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor],
        eval_chunk: int = 16384,
    ):
        self.base = copy.deepcopy(model).to("meta")
        self.base.train(False)  # eval mode: dropout off, BatchNorm on its running statistics
        self.device = data[0].device
        self.final = {k: v.detach().to(self.device, copy=True) for k, v in final.items()}  # not the live tensors
        self.data = data
        self.eval_chunk = eval_chunk

    @torch.no_grad()
    def final_errors(self) -> tuple[float, float]:
        """The trained model's own (train error, test error)."""
        ((tr, te),) = self.errors([{}])
        return tr, te

    @torch.no_grad()
    def errors(self, variants: list[dict[str, torch.Tensor]]) -> list[tuple[float, float]]:
        """(train error, test error) of each variant, all of them in one stacked pass per chunk."""
        keys = tuple(variants[0])
        if any(tuple(v) != keys for v in variants):
            raise ValueError("every variant of one batch must replace the same tensors")
        shared = {k: t for k, t in self.final.items() if k not in keys}
        stacked = {k: torch.stack([v[k].to(self.device) for v in variants]) for k in keys}

        def one(varying, x):
            return functional_call(self.base, {**shared, **varying}, (x,))

        fwd = torch.vmap(one, in_dims=(0, None)) if keys else None
        xtr, ytr, xte, yte = self.data
        out = []
        for x, y in ((xtr, ytr), (xte, yte)):
            wrong = torch.zeros(len(variants), device=self.device)
            step = max(1, self.eval_chunk // len(variants))
            for i in range(0, len(x), step):
                xb, yb = x[i : i + step], y[i : i + step]
                logits = fwd(stacked, xb) if fwd is not None else one({}, xb).unsqueeze(0)
                wrong += (logits.argmax(-1) != yb).sum(-1)
            out.append((wrong / len(x)).tolist())  # one host sync per set
        return list(zip(out[0], out[1]))


def replace_layer(layer: Layer, source: dict[str, torch.Tensor], bn_travels: bool) -> dict[str, torch.Tensor]:
    """The tensors that replace `layer` in the final model: its own from `source` (a checkpoint,
    or a freshly initialized model's state)."""
    return {k: source[k] for k in layer.state_keys(bn_travels)}
