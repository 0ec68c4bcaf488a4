"""Exact linear algebra for the closed-form studies: the 2n+d construction's O(n) solve,
chunked kernel matrices, min-norm solves (never ridge), random Fourier features."""

from __future__ import annotations

import math

import torch


def construction_weights(x_sorted: torch.Tensor, y_sorted: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Biases between sorted projections and output weights fitting y exactly (Zhang et al. 2017, Thm. 1).

    With b_1 < x_1 < b_2 < x_2 < ... the matrix A_ij = relu(x_i - b_j) is lower triangular with
    a positive diagonal. Forward substitution costs O(n) with two running sums:
    sum_{j<i} (x_i - b_j) w_j = x_i * S_w - S_bw.
    """
    x = x_sorted.double()
    y = y_sorted.double()
    n = len(x)
    b = torch.empty_like(x)
    b[0] = x[0] - 1.0
    b[1:] = (x[:-1] + x[1:]) / 2
    w = torch.empty_like(x)
    xs, bs, ys = x.tolist(), b.tolist(), y.tolist()
    ws = [0.0] * n
    s_w = s_bw = 0.0
    for i in range(n):
        wi = (ys[i] - (xs[i] * s_w - s_bw)) / (xs[i] - bs[i])
        ws[i] = wi
        s_w += wi
        s_bw += bs[i] * wi
    w = torch.tensor(ws, dtype=torch.float64)
    return b, w


def kernel_matrix(a: torch.Tensor, b: torch.Tensor, kind: str, gamma: float, chunk: int = 4096) -> torch.Tensor:
    """k(a_i, b_j) built chunk by chunk: linear <a, b> or Gaussian exp(-gamma |a - b|^2)."""
    out = torch.empty(len(a), len(b), dtype=a.dtype, device=a.device)
    b_sq = (b * b).sum(1)
    for i in range(0, len(a), chunk):
        blk = a[i : i + chunk]
        dot = blk @ b.T
        if kind == "linear":
            out[i : i + chunk] = dot
        else:
            d2 = ((blk * blk).sum(1, keepdim=True) + b_sq - 2 * dot).clamp_min_(0)
            out[i : i + chunk] = torch.exp(-gamma * d2)
    return out


def min_norm_solve(k: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, str]:
    """alpha with K alpha = y and minimum norm: Cholesky when K is positive definite,
    else the pseudo-inverse through an eigendecomposition (K symmetric PSD). No ridge."""
    try:
        chol = torch.linalg.cholesky(k)
        return torch.cholesky_solve(y, chol), "cholesky"
    except RuntimeError:
        pass
    evals, evecs = torch.linalg.eigh(k)
    cutoff = evals.abs().max() * len(k) * torch.finfo(k.dtype).eps
    inv = torch.where(evals > cutoff, 1.0 / evals, torch.zeros_like(evals))
    return evecs @ (inv.unsqueeze(1) * (evecs.T @ y)), "pinv"


def rff_features(x: torch.Tensor, freqs: torch.Tensor) -> torch.Tensor:
    """[cos(x v), sin(x v)] / sqrt(N): a cos/sin pair counts as two features."""
    proj = x @ freqs
    return torch.cat([proj.cos(), proj.sin()], 1) / math.sqrt(2 * freqs.shape[1])


def min_norm_lstsq(phi: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The minimum-norm least-squares coefficients pinv(phi) @ y via the smaller Gram matrix."""
    n, p = phi.shape
    if p <= n:
        g = phi.T @ phi
        evals, evecs = torch.linalg.eigh(g)
        cutoff = evals.abs().max() * p * torch.finfo(g.dtype).eps
        inv = torch.where(evals > cutoff, 1.0 / evals, torch.zeros_like(evals))
        return evecs @ (inv.unsqueeze(1) * (evecs.T @ (phi.T @ y)))
    g = phi @ phi.T
    evals, evecs = torch.linalg.eigh(g)
    cutoff = evals.abs().max() * n * torch.finfo(g.dtype).eps
    inv = torch.where(evals > cutoff, 1.0 / evals, torch.zeros_like(evals))
    return phi.T @ (evecs @ (inv.unsqueeze(1) * (evecs.T @ y)))
