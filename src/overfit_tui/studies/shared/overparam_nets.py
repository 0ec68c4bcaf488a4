"""The small networks, data and measures of the overparameterization study, as pure functions.

XOR detection (Brutzkus & Globerson 2019): inputs in {±1}^{2d} read as d patterns of two;
positive when some pattern is (1, 1) or (-1, -1). The net is a convolution of 2k width-2,
stride-2 filters, ReLU, max-pooling over the d patterns and a fixed output layer (+1 for the
first k filters, -1 for the other k), trained by full-batch gradient descent on the hinge loss.

Gradient descent near initialization (Du, Zhai, Poczos, Singh 2019): f(x) = m^-1/2 sum_r a_r
relu(w_r . x) with a_r fixed random signs, squared loss 1/2 sum_i (f(x_i) - y_i)^2, points on the
unit sphere. The measures: the largest distance of a w_r from its initialization, the fraction
of ReLU activation patterns changed since init, the Gram matrix H(t) and its infinite-width
limit H^inf, whose smallest eigenvalue is the theory's lambda_0.

Everything here takes tensors and generators and returns tensors or numbers, so tests can check
it on hand-built inputs; the study (overparam_xor/, overparam_du/) turns the loops' output into events.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import torch
from torch import nn

# p1 and p3 are the positive patterns, p2 and p4 the negative ones (the paper's numbering)
PATTERNS = torch.tensor([[1.0, 1.0], [1.0, -1.0], [-1.0, -1.0], [-1.0, 1.0]])


# -- XOR detection -----------------------------------------------------------------------------
def is_positive(x: torch.Tensor) -> torch.Tensor:
    """[n, d, 2] inputs -> [n] bool: some pattern is (1, 1) or (-1, -1)."""
    return (x[..., 0] == x[..., 1]).any(-1)


def xor_data(n: int, d: int, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """n samples ([n, d, 2] in {±1}, labels ±1), half positive: a positive is uniform over the
    inputs with at least one positive pattern, a negative draws each pattern from {p2, p4}."""
    n_pos = (n + 1) // 2
    pos = torch.empty(0, d, 2)
    while len(pos) < n_pos:  # rejection: at d >= 2 most uniform inputs are positive
        draw = torch.randint(0, 2, (2 * n_pos + 8, d, 2), generator=gen).float() * 2 - 1
        pos = torch.cat([pos, draw[is_positive(draw)]])
    neg = PATTERNS[torch.tensor([1, 3])[torch.randint(0, 2, (n - n_pos, d), generator=gen)]]
    x = torch.cat([pos[:n_pos], neg])
    y = torch.cat([torch.ones(n_pos), -torch.ones(n - n_pos)])
    perm = torch.randperm(n, generator=gen)
    return x[perm], y[perm]


class XorNet(nn.Module):
    """2k filters of width 2 (stride 2), ReLU, max-pool over patterns, fixed ±1 output layer."""

    def __init__(self, filters: torch.Tensor, leak: float = 0.0):
        super().__init__()
        self.leak = leak  # slope for negative inputs: 0 = ReLU, the paper's theory uses leaky ReLU
        k2 = filters.shape[0]
        if k2 % 2 or filters.shape[1:] != (2,):
            raise ValueError(f"expected [2k, 2] filters, got {tuple(filters.shape)}")
        self.w = nn.Parameter(filters.clone())
        self.register_buffer("signs", torch.cat([torch.ones(k2 // 2), -torch.ones(k2 // 2)]))  # never trained

    @classmethod
    def random(cls, k: int, std: float, gen: torch.Generator, leak: float = 0.0) -> XorNet:
        return cls(torch.randn(2 * k, 2, generator=gen) * std, leak)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        act = torch.nn.functional.leaky_relu(x @ self.w.T, self.leak)  # [n, d, 2k]
        return act.amax(1) @ self.signs  # max-pool over patterns -> [n, 2k] -> fixed output layer -> [n]


def hinge(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The paper's loss: mean of max(0, 1 - y f(x))."""
    return torch.clamp(1 - y * out, min=0).mean()


def xor_gd(
    net: XorNet, x: torch.Tensor, y: torch.Tensor, lr: float, steps: int, every: int, at: frozenset[int] = frozenset()
) -> Iterator[tuple[int, float, float]]:
    """Full-batch gradient descent on the hinge loss; yields (step, loss, train error) at step 0,
    every `every` steps, at the steps in `at` and at the end. Stops once the loss is 0 (the
    gradient then vanishes)."""
    for step in range(steps + 1):
        out = net(x)
        loss = hinge(out, y)
        if step % every == 0 or step == steps or step in at or loss.item() == 0:
            yield step, loss.item(), (torch.sign(out) != y).float().mean().item()
        if loss.item() == 0 or step == steps:
            return
        net.zero_grad()
        loss.backward()
        with torch.no_grad():
            net.w -= lr * net.w.grad


def doubling_steps(steps: int) -> frozenset[int]:
    """1, 2, 4, 8, ... up to `steps`: snapshot steps that follow a run's fast start and slow end."""
    return frozenset(2**i for i in range(steps.bit_length()) if 2**i <= steps)


def kmeans(points: torch.Tensor, k: int, gen: torch.Generator, iters: int = 50) -> torch.Tensor:
    """Lloyd's k-means with k-means++ seeding: [k, dim] centres (a centre left empty keeps its place)."""
    if len(points) < k:
        raise ValueError(f"{len(points)} points cannot make {k} clusters")
    centres = points[torch.randint(0, len(points), (1,), generator=gen)]
    while len(centres) < k:
        d2 = torch.cdist(points, centres).min(1).values.pow(2)
        p = d2 / d2.sum() if d2.sum() > 0 else torch.full_like(d2, 1 / len(d2))
        centres = torch.cat([centres, points[torch.multinomial(p, 1, generator=gen)]])
    for _ in range(iters):
        assign = torch.cdist(points, centres).argmin(1)
        new = torch.stack([points[assign == j].mean(0) if (assign == j).any() else centres[j] for j in range(k)])
        if torch.equal(new, centres):
            break
        centres = new
    return centres


def compressed_filters(big: XorNet, k: int, gen: torch.Generator, scaled: bool = False) -> torch.Tensor:
    """A small net's [2k, 2] filters: k k-means centres of the big net's +1 filters, then k of its
    -1 filters; `scaled` multiplies each centre by its cluster's size."""
    w, out = big.w.detach(), []
    for part in (w[big.signs > 0], w[big.signs < 0]):
        c = kmeans(part, k, gen)
        if scaled:
            c = c * torch.bincount(torch.cdist(part, c).argmin(1), minlength=k)[:, None]
        out.append(c)
    return torch.cat(out)


# -- Du et al.: gradient descent near initialization -------------------------------------------
def sphere_data(n: int, d: int, labels: str, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """n points uniform on the unit sphere in R^d; labels N(0, 1) ('gaussian') or random ±1 ('signs')."""
    x = torch.randn(n, d, generator=gen, dtype=torch.float64)
    x /= x.norm(dim=1, keepdim=True)
    if labels == "gaussian":
        return x, torch.randn(n, generator=gen, dtype=torch.float64)
    return x, torch.randint(0, 2, (n,), generator=gen).double() * 2 - 1


class DuNet(nn.Module):
    """f(x) = m^-1/2 sum_r a_r relu(w_r . x): w_r ~ N(0, I) trained, a_r ~ unif{±1} fixed."""

    def __init__(self, w: torch.Tensor, a: torch.Tensor):
        super().__init__()
        self.w = nn.Parameter(w.clone())
        self.register_buffer("a", a.clone())  # the output layer never trains

    @classmethod
    def random(cls, m: int, d: int, gen: torch.Generator) -> DuNet:
        w = torch.randn(m, d, generator=gen, dtype=torch.float64)
        a = torch.randint(0, 2, (m,), generator=gen).double() * 2 - 1
        return cls(w, a)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(x @ self.w.T) @ self.a / math.sqrt(len(self.a))


def squared(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The paper's loss: 1/2 sum_i (f(x_i) - y_i)^2."""
    return 0.5 * (out - y).pow(2).sum()


def max_distance(w: torch.Tensor, w0: torch.Tensor) -> float:
    """max_r ||w_r - w_r(0)||: the paper's Fig. 1c (its bound R' = 4 sqrt(n) ||y - u(0)|| / (sqrt(m) lambda_0))."""
    return (w - w0).norm(dim=1).max().item()


def pattern_change(w: torch.Tensor, w0: torch.Tensor, x: torch.Tensor) -> float:
    """Fraction of (sample, unit) pairs whose ReLU is on now and off at init, or the reverse."""
    return ((x @ w.T >= 0) != (x @ w0.T >= 0)).double().mean().item()


def gram(w: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """H_ij = (x_i . x_j) / m * #{r: w_r . x_i >= 0 and w_r . x_j >= 0} (Du et al., eq. 5)."""
    s = (x @ w.T >= 0).to(x.dtype)
    return (x @ x.T) * (s @ s.T) / w.shape[0]


def gram_infinity(x: torch.Tensor) -> torch.Tensor:
    """H^inf_ij = E_w[x_i . x_j 1{w . x_i >= 0, w . x_j >= 0}] = x_i . x_j (pi - arccos(x_i . x_j)) / (2 pi)
    for unit-norm x_i, w ~ N(0, I) (Du et al., eq. 4; the expectation of H(0) over the init)."""
    g = (x @ x.T).clamp(-1.0, 1.0)
    return g * (math.pi - torch.arccos(g)) / (2 * math.pi)


def lambda_min(h: torch.Tensor) -> float:
    return torch.linalg.eigvalsh(h.double()).min().item()


def spectral_norm(h: torch.Tensor) -> float:
    """||h||_2 of a symmetric matrix: its largest absolute eigenvalue."""
    return torch.linalg.eigvalsh(h.double()).abs().max().item()
