"""The complexity measures on networks where each has a closed form (studies/complexity/measures.py)."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from overfit_tui.studies.complexity import measures as M


def _linear(weight, bias=None) -> nn.Linear:
    w = torch.tensor(weight, dtype=torch.float64)
    lin = nn.Linear(w.shape[1], w.shape[0], bias=bias is not None).double()
    with torch.no_grad():
        lin.weight.copy_(w)
        if bias is not None:
            lin.bias.copy_(torch.tensor(bias, dtype=torch.float64))
    return lin


def _orthogonal(n: int, seed: int) -> torch.Tensor:
    q, _ = torch.linalg.qr(torch.randn(n, n, generator=torch.Generator().manual_seed(seed), dtype=torch.float64))
    return q


def _two_layer(s1, s2) -> nn.Sequential:
    """A 2-layer ReLU net whose weight matrices have the singular values s1 and s2 (U diag(s) V^T)."""
    w1 = _orthogonal(len(s1), 1) @ torch.diag(torch.tensor(s1, dtype=torch.float64)) @ _orthogonal(len(s1), 2)
    w2 = _orthogonal(len(s2), 3) @ torch.diag(torch.tensor(s2, dtype=torch.float64)) @ _orthogonal(len(s2), 4)
    return nn.Sequential(_linear(w1.tolist(), [0.0] * len(s1)), nn.ReLU(), _linear(w2.tolist(), [0.0] * len(s2)))


def test_linear_model_norms():
    lin = _linear([[3.0, 0.0], [0.0, 4.0], [0.0, 0.0]], [1.0, 2.0, 2.0])
    assert M.param_count(lin) == 9
    assert M.frobenius_norms(lin) == pytest.approx([5.0])
    assert M.spectral_norms(lin) == pytest.approx([4.0])
    assert M.l2_norm(lin) == pytest.approx(math.sqrt(9 + 16 + 1 + 4 + 4))
    init = {"weight": torch.zeros(3, 2, dtype=torch.float64), "bias": torch.zeros(3, dtype=torch.float64)}
    assert M.dist_from_init(lin, init) == pytest.approx(M.l2_norm(lin))
    init["weight"] = lin.weight.detach().clone()
    assert M.dist_from_init(lin, init) == pytest.approx(3.0)  # only the biases moved: sqrt(1 + 4 + 4)


def test_two_layer_known_singular_values():
    net = _two_layer([3.0, 2.0, 0.5], [2.0, 1.0, 1.0])
    assert M.spectral_norms(net) == pytest.approx([3.0, 2.0])
    assert M.frobenius_norms(net) == pytest.approx([math.sqrt(9 + 4 + 0.25), math.sqrt(6.0)])
    assert M.log_prod(M.spectral_norms(net)) == pytest.approx(math.log10(6.0))
    # Bartlett et al.'s R with M_i = 0: prod s_i * (sum (||W_i^T||_{2,1} / s_i)^(2/3))^(3/2)
    rows = [float(m.weight.detach().norm(dim=1).sum()) for m in M.layers(net)]
    want = 6.0 * ((rows[0] / 3.0) ** (2 / 3) + (rows[1] / 2.0) ** (2 / 3)) ** 1.5
    assert M.spectral_complexity(net) == pytest.approx(math.log10(want))
    # against its own init the reference part vanishes: log10 of 0 is -inf
    same = {k: v.clone() for k, v in net.state_dict().items()}
    assert M.spectral_complexity(net, same) == -math.inf


def test_path_norm_by_hand():
    # 2 inputs -> 2 ReLU units -> 1 output. Paths: x1-h1-o: (1*3)^2, x2-h1-o: (2*3)^2, x1-h2-o: (-1*0.5)^2,
    # x2-h2-o: (4*0.5)^2; the biases are paths from a constant 1: b1 (0.5) through h1: (0.5*3)^2,
    # b2 (1) through h2: (1*0.5)^2, and the output bias (-2)^2.
    net = nn.Sequential(_linear([[1.0, 2.0], [-1.0, 4.0]], [0.5, 1.0]), nn.ReLU(), _linear([[3.0, 0.5]], [-2.0]))
    paths = 9 + 36 + 0.25 + 4 + 2.25 + 0.25 + 4
    assert M.path_norm(net, (2,)) == pytest.approx(math.sqrt(paths))
    assert net[0].weight[1, 0].item() == -1.0  # the model itself is untouched


def test_margins_and_quantile():
    lin = _linear([[1.0, 0.0], [0.0, 1.0]])
    x = torch.tensor([[3.0, 1.0], [0.0, 2.0], [1.0, 2.0]], dtype=torch.float64)
    y = torch.tensor([0, 1, 0])
    assert M.margins(lin, x, y).tolist() == pytest.approx([2.0, 2.0, -1.0])
    assert M.margin_at(lin, x, y, 0.0) == pytest.approx(-1.0)
    assert M.error_rate(lin, x, y) == pytest.approx(1 / 3)


class _Quadratic(nn.Module):
    """A 'model' whose loss is ||w - w*||^2: under w + sigma z the mean rise is sigma^2 * mean ||z||^2."""

    def __init__(self, d: int):
        super().__init__()
        self.w = nn.Parameter(torch.zeros(d, dtype=torch.float64))


def test_sigma_prime_quadratic_closed_form():
    d, rise = 50, 0.2
    model = _Quadratic(d)
    loss = lambda m: float(m.w.pow(2).sum())
    s = M.sigma_prime(model, loss, rise=rise, draws=16, seed=3, iters=40)
    g = torch.Generator().manual_seed(3)
    zsq = sum(float(torch.randn(d, generator=g, dtype=torch.float64).pow(2).sum()) for _ in range(16)) / 16
    assert s == pytest.approx(math.sqrt(rise / zsq), rel=1e-6)  # the bisection's exact answer
    assert s == pytest.approx(math.sqrt(rise / d), rel=0.15)  # and E||z||^2 = d
    assert float(model.w.detach().abs().sum()) == 0.0  # weights restored
    # monotone: a larger allowed rise gives a larger sigma'; a sharper loss a smaller one
    assert M.sigma_prime(model, loss, rise=4 * rise, draws=16, seed=3, iters=40) == pytest.approx(2 * s, rel=1e-5)
    sharp = lambda m: 9 * float(m.w.pow(2).sum())
    assert M.sigma_prime(model, sharp, rise=rise, draws=16, seed=3, iters=40) == pytest.approx(s / 3, rel=1e-5)
    # out of the bracket: the bracket's ends
    assert M.sigma_prime(model, lambda m: 0.0, rise=rise, hi=2.0) == 2.0
