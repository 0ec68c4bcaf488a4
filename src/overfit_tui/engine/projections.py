"""Random projections from a d-dimensional subspace into a model's D parameters, for the
intrinsic dimension of Li, Farkhoor, Liu, Yosinski 2018 (uber-research/intrinsic-dimension).

Each projection is an `nn.Module` mapping θ_d [d] to the offset P θ_d [D], with every column
of P of unit norm jointly over all the model's parameters (one flat vector of D), and its
random pieces held as buffers, so `.to(device)` moves them and they stay on the device:

- `DenseProjection`: P with N(0, 1) entries, each column rescaled to unit norm (D x d floats).
- `SparseProjection`: density 1/sqrt(D), entries +-1 (sklearn's sparse random projection up
  to scale), each column rescaled to unit norm; kept as (row, column, value) triplets.
- `FastfoodProjection`: one global transform V = H G Pi H B over all D parameters, padded to
  L = 2^ceil(log2 D), never materialized: a fast Walsh-Hadamard transform on the device
  (O(L log L) per product, independent of d; butterflies in place after one small matmul), the output sliced to D and divided by
  sqrt(L * sum G^2) * sqrt(D / L) so each column has unit norm in expectation; θ_d is padded
  to L, and d > L uses several independent blocks whose outputs add.

A projection of a given seed is nested across d (dense draws its columns in order, Fastfood
pads θ_d into the same transform): the subspace of a smaller d lies inside that of a larger
one, which keeps one seed's accuracy-vs-d curve free of projection-to-projection jitter.
`make_projection` picks the kind, falling back to Fastfood when dense or sparse would exceed
a memory bound (and says so).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from overfit_tui.engine.declarations import PROJECTION_KINDS as KINDS  # declared torch-free


def _check(D: int, d: int) -> None:
    if D <= 0:
        raise ValueError(f"D = {D}: a model needs at least one parameter")
    if d <= 0:
        raise ValueError(f"d = {d}: the subspace dimension must be >= 1")


BLOCK = 32  # the first log2(BLOCK) levels as one small matmul: ~3x faster than butterflies on CPU (bench/)
_H: dict[tuple, torch.Tensor] = {}


def _fwht(x: torch.Tensor) -> torch.Tensor:
    """Unnormalized Walsh-Hadamard transform along the last axis (a power of two L):
    H_L = H_(L/m) (x) H_m, so the innermost levels are one matmul with H_m on the contiguous
    axis, and the remaining log2(L/m) butterfly levels run in place on its output, each two
    elementwise kernels over the array, with no allocation."""
    n = x.shape[-1]
    m = min(n, BLOCK)
    key = (m, x.device, x.dtype)
    if key not in _H:
        _H[key] = hadamard(m, x.dtype).to(x.device)
    y = (x.reshape(-1, m) @ _H[key]).reshape(x.shape)
    lead = x.shape[:-1]
    h = m
    while h < n:
        v = y.view(*lead, n // (2 * h), 2, h)
        a, b = v[..., 0, :], v[..., 1, :]
        a.add_(b)  # a + b
        torch.sub(a, b, alpha=2, out=b)  # (a + b) - 2b = a - b
        h *= 2
    return y


class _WHT(torch.autograd.Function):
    """H x with H the (symmetric) Hadamard matrix: the backward pass is the same transform."""

    @staticmethod
    def forward(ctx, x):
        return _fwht(x)

    @staticmethod
    def backward(ctx, g):
        return _fwht(g)


def fwht(x: torch.Tensor) -> torch.Tensor:
    """Walsh-Hadamard transform (unnormalized, Sylvester order) along the last axis, differentiable."""
    n = x.shape[-1]
    if n & (n - 1):
        raise ValueError(f"the Walsh-Hadamard transform needs a power-of-two length, got {n}")
    return _WHT.apply(x)


def hadamard(n: int, dtype=torch.float64) -> torch.Tensor:
    """The n x n Sylvester Hadamard matrix, materialized (tests only)."""
    h = torch.ones(1, 1, dtype=dtype)
    while h.shape[0] < n:
        h = torch.cat([torch.cat([h, h], 1), torch.cat([h, -h], 1)], 0)
    return h


class Projection(nn.Module):
    """θ_d [d] -> P θ_d [D]."""

    kind = ""

    def __init__(self, D: int, d: int):
        super().__init__()
        _check(D, d)
        self.D, self.d = D, d

    def matrix(self) -> torch.Tensor:
        """P as a dense D x d matrix (small D and d only: tests and statistics)."""
        eye = torch.eye(self.d, device=self._device())
        return torch.stack([self(eye[j]) for j in range(self.d)], 1)

    def _device(self) -> torch.device:
        return next(iter(self.buffers())).device


class DenseProjection(Projection):
    """N(0, 1) entries, unit-norm columns (or an orthonormal basis, for tests at d <= D)."""

    kind = "dense"

    def __init__(self, D: int, d: int, seed: int, device="cpu", orthonormal: bool = False, dtype=torch.float32):
        super().__init__(D, d)
        g = torch.Generator(device).manual_seed(seed)
        pt = torch.randn(d, D, generator=g, device=device)  # row j = column j of P, drawn in order
        if orthonormal:
            if d > D:
                raise ValueError(f"d = {d} > D = {D}: no orthonormal basis of that size")
            pt = torch.linalg.qr(pt.T.double()).Q.T.contiguous()
        else:
            pt /= pt.norm(dim=1, keepdim=True)
        self.register_buffer("pt", pt.to(dtype))

    def forward(self, theta_d: torch.Tensor) -> torch.Tensor:
        return theta_d @ self.pt

    def matrix(self) -> torch.Tensor:
        return self.pt.T

    @staticmethod
    def nbytes(D: int, d: int) -> int:
        return 4 * D * d


class SparseProjection(Projection):
    """About sqrt(D) nonzero +-1 entries per column (density 1/sqrt(D)), unit-norm columns."""

    kind = "sparse"

    def __init__(self, D: int, d: int, seed: int, device="cpu"):
        super().__init__(D, d)
        g = torch.Generator().manual_seed(seed)
        density = 1.0 / math.sqrt(D)
        counts = torch.binomial(torch.full((d,), float(D)), torch.full((d,), density), generator=g).long().clamp_(1)
        cols = torch.repeat_interleave(torch.arange(d), counts)
        rows = torch.randint(D, (len(cols),), generator=g)
        vals = torch.randint(0, 2, (len(cols),), generator=g).float() * 2 - 1
        keys, where = torch.unique(cols * D + rows, return_inverse=True)  # a repeated draw adds up
        vals = torch.zeros(len(keys)).index_add_(0, where, vals)
        rows, cols = keys % D, keys // D
        keep = vals != 0
        rows, cols, vals = rows[keep], cols[keep], vals[keep]
        norms = torch.zeros(d).index_add_(0, cols, vals * vals).sqrt()
        vals = vals / norms[cols]
        self.register_buffer("rows", rows.to(device))
        self.register_buffer("cols", cols.to(device))
        self.register_buffer("vals", vals.to(device))

    def forward(self, theta_d: torch.Tensor) -> torch.Tensor:
        out = torch.zeros(self.D, device=theta_d.device, dtype=theta_d.dtype)
        return out.index_add(0, self.rows, self.vals * theta_d[self.cols])

    @staticmethod
    def nbytes(D: int, d: int) -> int:
        return (8 + 8 + 4) * d * max(1, round(math.sqrt(D)))  # rows, cols (int64), values


class FastfoodProjection(Projection):
    """V = H G Pi H B over all D parameters, padded to L = 2^ceil(log2 D); blocks when d > L."""

    kind = "fastfood"

    def __init__(self, D: int, d: int, seed: int, device="cpu", cache: dict | None = None):
        super().__init__(D, d)
        self.L = 1 << max(0, math.ceil(math.log2(D)))
        self.blocks = math.ceil(d / self.L)
        key = (D, seed, self.blocks, str(device))
        if cache is not None and key in cache:  # another d of the same transform: reuse its pieces
            pieces = cache[key]
        else:
            g = torch.Generator().manual_seed(seed)
            k, n = self.blocks, self.L
            b = torch.randint(0, 2, (k, n), generator=g).float() * 2 - 1
            perm = torch.stack([torch.randperm(n, generator=g) for _ in range(k)])
            gauss = torch.randn(k, n, generator=g)
            # |column of H G Pi H B|^2 = L * sum G^2; slicing L rows down to D keeps D/L of it.
            scale = 1.0 / (torch.sqrt(n * gauss.pow(2).sum(1)) * math.sqrt(D / n))
            pieces = {"b": b, "perm": perm, "g": gauss, "scale": scale}
            pieces = {name: t.to(device) for name, t in pieces.items()}
            if cache is not None:
                cache[key] = pieces
        for name, t in pieces.items():
            self.register_buffer(name, t)

    def forward(self, theta_d: torch.Tensor) -> torch.Tensor:
        x = nn.functional.pad(theta_d, (0, self.blocks * self.L - self.d)).view(self.blocks, self.L)
        x = fwht(x * self.b)
        x = torch.gather(x, 1, self.perm) * self.g
        x = fwht(x)
        return (x[:, : self.D] * self.scale.unsqueeze(1)).sum(0)

    @staticmethod
    def nbytes(D: int, d: int) -> int:
        n = 1 << max(0, math.ceil(math.log2(D)))
        return (4 + 8 + 4) * n * math.ceil(d / n)


CLASSES = {"dense": DenseProjection, "sparse": SparseProjection, "fastfood": FastfoodProjection}


def make_projection(
    kind: str, D: int, d: int, seed: int, device="cpu", max_bytes: int = 0, cache: dict | None = None
) -> tuple[Projection, str]:
    """The projection of `kind`, or Fastfood when `kind` would need more than `max_bytes`
    (0 = no bound). Returns it with a note saying why the kind changed ('' when it did not).
    `cache` keeps Fastfood's pieces on the device for the next d of the same seed."""
    if kind not in CLASSES:
        raise ValueError(f"unknown projection {kind!r}: choose one of {', '.join(KINDS)}")
    _check(D, d)
    need = CLASSES[kind].nbytes(D, d)
    if max_bytes and kind != "fastfood" and need > max_bytes:
        note = f"fastfood instead of {kind}: D x d = {D:,} x {d:,} would need {need / 2**20:,.0f} MiB"
        return FastfoodProjection(D, d, seed, device, cache), note
    if kind == "fastfood":
        return FastfoodProjection(D, d, seed, device, cache), ""
    return CLASSES[kind](D, d, seed, device), ""
