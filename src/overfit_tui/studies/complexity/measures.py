"""Complexity measures of a trained network, as pure functions of a model and a data set
(runner side: imports torch). Definitions after Neyshabur, Bhojanapalli, McAllester & Srebro
2017 ("Exploring generalization in deep learning", section 2), Bartlett, Foster & Telgarsky
2017 (the spectrally-normalized margin bound) and Jiang, Neyshabur, Mobahi, Krishnan & Bengio
2020 ("Fantastic generalization measures", appendix C: path norm, PAC-Bayes sigma').

A "layer" is every module with a `weight` of 2 or more dimensions (Linear, Conv): a conv
kernel is read as the matrix [out, in * k] (Jiang et al. do the same). Biases count in the
parameter count, the l2 norm, the distance from init and the path norm, not in the per-layer
matrix norms (the papers' bounds are for weight matrices). No function changes the model it
is given: perturbations are undone, and the path norm works on a copy.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable

import torch
from torch import nn


def named_layers(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """The weight layers with their names, in forward (registration) order."""
    return [
        (n, m)
        for n, m in model.named_modules()
        if isinstance(getattr(m, "weight", None), torch.Tensor) and m.weight.dim() >= 2
    ]


def layers(model: nn.Module) -> list[nn.Module]:
    return [m for _, m in named_layers(model)]


def matrices(model: nn.Module) -> list[torch.Tensor]:
    """Each layer's weight as a matrix [out, in * kernel]."""
    return [m.weight.detach().flatten(1) for m in layers(model)]


def param_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def l2_norm(model: nn.Module) -> float:
    """sqrt of the sum of every squared parameter (biases included): ||w||_2."""
    return math.sqrt(sum(float(p.detach().double().pow(2).sum()) for p in model.parameters()))


def dist_from_init(model: nn.Module, init: dict[str, torch.Tensor]) -> float:
    """||w - w0||_2 over every parameter, `init` a state dict of the same model at initialization."""
    total = 0.0
    for name, p in model.named_parameters():
        total += float((p.detach().double() - init[name].to(p.device).double()).pow(2).sum())
    return math.sqrt(total)


def frobenius_norms(model: nn.Module) -> list[float]:
    return [float(torch.linalg.matrix_norm(w.double(), "fro")) for w in matrices(model)]


def spectral_norms(model: nn.Module) -> list[float]:
    """Each layer's largest singular value ||W_i||_2."""
    return [float(torch.linalg.matrix_norm(w.double(), 2)) for w in matrices(model)]


def log_prod(values: list[float]) -> float:
    """log10 of a product of positive numbers, summed in log space (products of norms overflow)."""
    return sum(math.log10(v) if v > 0 else -math.inf for v in values)


@torch.no_grad()
def margins(model: nn.Module, x: torch.Tensor, y: torch.Tensor, chunk: int = 4096) -> torch.Tensor:
    """f(x)[y] - max_{j != y} f(x)[j] for every sample (negative where misclassified)."""
    out = []
    for i in range(0, len(x), chunk):
        f = model(x[i : i + chunk]).double()
        yi = y[i : i + chunk]
        true = f.gather(1, yi[:, None]).squeeze(1)
        other = f.scatter(1, yi[:, None], -math.inf).amax(1)
        out.append(true - other)
    return torch.cat(out)


def margin_at(model: nn.Module, x: torch.Tensor, y: torch.Tensor, q: float = 0.05) -> float:
    """The q-quantile of the margins (Neyshabur et al. 2017: the 5th percentile; Jiang et al. the 10th)."""
    return float(torch.quantile(margins(model, x, y), q))


def spectral_complexity(model: nn.Module, init: dict[str, torch.Tensor] | None = None) -> float:
    """Bartlett et al. 2017's R_A = prod_i ||W_i||_2 * (sum_i (||W_i^T - M_i^T||_{2,1} / ||W_i||_2)^(2/3))^(3/2),
    with reference matrices M_i the initial weights (or 0 where `init` is None); returned as log10.
    ||A^T||_{2,1} sums the l2 norms of A's rows."""
    specs = spectral_norms(model)
    s = 0.0
    for (name, m), sv in zip(named_layers(model), specs, strict=True):
        w = m.weight.detach().flatten(1).double()
        if init is not None:
            w = w - init[f"{name}.weight" if name else "weight"].to(w.device).flatten(1).double()
        s += (float(w.norm(dim=1).sum()) / sv) ** (2 / 3)
    return log_prod(specs) + 1.5 * math.log10(s) if s > 0 else -math.inf


def path_norm(model: nn.Module, input_shape: tuple[int, ...]) -> float:
    """The l2 path norm: sqrt(sum over input-output paths of the product of squared weights), biases
    as paths from a constant input. Computed as Jiang et al.: every parameter squared, an input of
    ones, the outputs summed. Exact for ReLU (and linear) nets, where nothing negative reaches a ReLU."""
    sq = copy.deepcopy(model).eval()
    with torch.no_grad():
        for p in sq.parameters():
            p.pow_(2)
        dev = next(sq.parameters()).device
        out = sq(torch.ones((1, *input_shape), dtype=torch.float64 if _is_double(sq) else torch.float32, device=dev))
    return math.sqrt(float(out.double().sum()))


def _is_double(model: nn.Module) -> bool:
    return next(model.parameters()).dtype == torch.float64


@torch.no_grad()
def error_rate(model: nn.Module, x: torch.Tensor, y: torch.Tensor, chunk: int = 4096) -> float:
    wrong = 0
    for i in range(0, len(x), chunk):
        wrong += int((model(x[i : i + chunk]).argmax(1) != y[i : i + chunk]).sum())
    return wrong / max(1, len(x))


@torch.no_grad()
def sigma_prime(
    model: nn.Module,
    loss: Callable[[nn.Module], float],
    rise: float = 0.1,
    draws: int = 8,
    seed: int = 0,
    lo: float = 1e-5,
    hi: float = 10.0,
    iters: int = 20,
) -> float:
    """The PAC-Bayes flatness sigma' (Jiang et al. 2020, C.4): the largest sigma such that the
    mean of `loss` over `draws` perturbations w + sigma * z, z ~ N(0, I) on every parameter,
    stays within `rise` of loss(w). Bisection in log sigma with the z's drawn once (common random
    numbers: the estimate is then a deterministic function of sigma). Returns `hi` if even it
    keeps the loss within the rise, `lo` if even `lo` does not."""
    params = list(model.parameters())
    saved = [p.detach().clone() for p in params]
    g = torch.Generator(device="cpu").manual_seed(seed)
    zs = [[torch.randn(p.shape, generator=g, dtype=p.dtype).to(p.device) for p in params] for _ in range(draws)]
    base = loss(model)

    def rise_at(sigma: float) -> float:
        total = 0.0
        for z in zs:
            for p, w, zi in zip(params, saved, z, strict=True):
                p.copy_(w + sigma * zi)
            total += loss(model)
        for p, w in zip(params, saved, strict=True):
            p.copy_(w)
        return total / draws - base

    if rise_at(hi) <= rise:
        return hi
    if rise_at(lo) > rise:
        return lo
    a, b = math.log(lo), math.log(hi)
    for _ in range(iters):
        mid = (a + b) / 2
        if rise_at(math.exp(mid)) <= rise:
            a = mid
        else:
            b = mid
    return math.exp(a)
