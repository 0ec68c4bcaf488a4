"""Subspace training (Li et al. 2018): projection statistics, Fastfood against the materialized
H G Pi H B, gradients reaching θ_d only, weight decay on the full θ, d = D with an orthonormal
P training exactly like the direct model, BatchNorm and devices reaching the wrapped model."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from overfit_tui.core.specs import ModelSpec, TrainSpec
from overfit_tui.engine.models import build_model, param_count
from overfit_tui.engine.projections import (
    DenseProjection,
    FastfoodProjection,
    SparseProjection,
    fwht,
    hadamard,
    make_projection,
)
from overfit_tui.engine.subspace import SubspaceModel, flat_params
from overfit_tui.engine.train import Member, train


@pytest.mark.parametrize("cls", [DenseProjection, SparseProjection, FastfoodProjection])
def test_columns_have_unit_norm_and_are_nearly_orthogonal(cls):
    D, d = 3000, 60
    P = cls(D, d, seed=3).matrix().double()
    norms = P.norm(dim=0)
    tol = 1e-5 if cls is not FastfoodProjection else 0.05  # Fastfood: unit norm in expectation
    assert torch.allclose(norms, torch.ones(d, dtype=torch.float64), atol=tol)
    cos = (P.T @ P) / torch.outer(norms, norms)
    off = cos[~torch.eye(d, dtype=torch.bool)].abs()
    # random unit vectors in D dimensions: |cos| ~ sqrt(2 / (pi D)) ~ 0.015; every kind is near that
    assert off.mean() < 2.5 / math.sqrt(D) and off.max() < 8 / math.sqrt(D)


def test_sparse_density_is_one_over_sqrt_D():
    D, d = 10_000, 40
    p = SparseProjection(D, d, seed=0)
    assert abs(len(p.vals) / (D * d) - 1 / math.sqrt(D)) < 0.15 / math.sqrt(D)


def _materialized(f: FastfoodProjection) -> torch.Tensor:
    """H G Pi H B per block, sliced to D rows, scaled; blocks side by side (d columns)."""
    H = hadamard(f.L)
    cols = []
    for k in range(f.blocks):
        B, G = torch.diag(f.b[k].double()), torch.diag(f.g[k].double())
        Pi = torch.eye(f.L, dtype=torch.float64)[f.perm[k]]  # (Pi x)_i = x[perm[i]]
        cols.append((H @ G @ Pi @ H @ B)[: f.D] * f.scale[k].double())
    return torch.cat(cols, 1)[:, : f.d]


@pytest.mark.parametrize(("D", "d"), [(13, 5), (64, 64), (100, 7), (5, 19)])  # (5, 19): 3 blocks of L = 8
def test_fastfood_equals_the_materialized_transform(D, d):
    f = FastfoodProjection(D, d, seed=1)
    assert 1 << math.ceil(math.log2(D)) == f.L and f.blocks == math.ceil(d / f.L)
    theta_d = torch.randn(d)
    assert torch.allclose(f(theta_d).double(), _materialized(f) @ theta_d.double(), atol=1e-5)


def test_fast_walsh_hadamard_matches_the_matrix_and_is_its_own_adjoint():
    for n in (1, 2, 32, 256):
        x = torch.randn(3, n, dtype=torch.float64, requires_grad=True)
        y = fwht(x)
        assert torch.allclose(y, x @ hadamard(n), atol=1e-9)
        g = torch.randn(3, n, dtype=torch.float64)
        (y * g).sum().backward()
        assert torch.allclose(x.grad, g @ hadamard(n), atol=1e-9)
    with pytest.raises(ValueError, match="power-of-two"):
        fwht(torch.randn(12))


def test_bad_projection_inputs_are_refused():
    with pytest.raises(ValueError, match="d = 0"):
        make_projection("dense", 100, 0, seed=0)
    with pytest.raises(ValueError, match="unknown projection 'gaussian'"):
        make_projection("gaussian", 100, 10, seed=0)
    with pytest.raises(ValueError, match="no orthonormal basis"):
        DenseProjection(10, 11, seed=0, orthonormal=True)


def test_dense_above_the_memory_bound_becomes_fastfood_and_says_so():
    p, note = make_projection("dense", 200_000, 2_000, seed=0, max_bytes=2**30)
    assert isinstance(p, FastfoodProjection) and "fastfood instead of dense" in note and "MiB" in note
    p, note = make_projection("sparse", 1000, 10, seed=0, max_bytes=2**30)
    assert isinstance(p, SparseProjection) and note == ""


def test_fastfood_pieces_are_reused_across_d_and_nested():
    cache: dict = {}
    small, _ = make_projection("fastfood", 1000, 10, seed=4, cache=cache)
    big, _ = make_projection("fastfood", 1000, 300, seed=4, cache=cache)
    assert small.g is big.g and small.perm is big.perm  # the same tensors, built once
    x = torch.zeros(300)
    x[:10] = torch.randn(10)
    assert torch.allclose(small(x[:10]), big(x), atol=1e-6)  # the d = 10 subspace lies inside d = 300


def _data(n=256, dim=12, k=3, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 1, dim, generator=g)
    y = (x[:, 0, :k] * 3).argmax(1)
    return x, y


def test_only_theta_d_trains_and_theta0_stays_put():
    x, y = _data()
    base = build_model(ModelSpec(name="mlp", width=16, depth=2, batchnorm=True), (1, 12), 3, seed=0)
    names, _, theta0 = flat_params(base)
    assert {"2.weight", "2.bias", "5.weight", "5.bias"} <= set(names)  # BatchNorm's affine parameters are in θ
    model = SubspaceModel(base, SparseProjection(theta0.numel(), 20, seed=0))
    assert [n for n, _ in model.named_parameters()] == ["theta_d"]
    before = model.theta0.clone()
    spec = TrainSpec(optimizer="adam", lr=0.05, epochs=20, batch_size=64, target_train_acc=0.0)
    (r,) = train([Member(model, x, y, x, y, order_seed=0)], spec)
    assert torch.equal(model.theta0, before) and model.theta_d.abs().sum() > 0
    assert r.final["train_acc"] > 0.6  # 20 directions out of 700 learn this toy task
    bn = model.base[2]
    assert bn.running_mean.abs().sum() > 0  # BatchNorm statistics updated in training mode
    model.eval()
    assert not model.base.training and not bn.training
    assert param_count(build_model(ModelSpec(name="mlp", width=16, depth=2, batchnorm=True), (1, 12), 3, 0)) == model.D


def test_to_moves_the_wrapped_model_and_projection():
    base = build_model(ModelSpec(name="mlp", width=8), (1, 12), 3, seed=0)
    D = param_count(base)
    model = SubspaceModel(base, FastfoodProjection(D, 5, seed=0)).to(torch.float64)
    assert model.theta0.dtype == torch.float64 and model.base[1].weight.dtype == torch.float64
    assert model.projection.g.dtype == torch.float64
    assert model(torch.randn(4, 1, 12, dtype=torch.float64)).dtype == torch.float64


def test_at_theta_d_zero_the_model_is_the_base_model():
    base = build_model(ModelSpec(name="cnn1d", width=8), (1, 40), 10, seed=2)
    x = torch.randn(5, 1, 40)
    ref = base(x)
    model = SubspaceModel(base, DenseProjection(param_count(base), 30, seed=0))
    assert torch.allclose(model(x), ref, atol=1e-6)


def test_weight_decay_acts_on_the_full_theta():
    base = build_model(ModelSpec(name="mlp", width=8), (1, 12), 3, seed=0)
    model = SubspaceModel(base, DenseProjection(param_count(base), 6, seed=1), weight_decay=0.1)
    with torch.no_grad():
        model.theta_d.normal_()
    x, y = _data(32)
    nn.functional.cross_entropy(model(x), y).backward()
    got = model.theta_d.grad.clone()
    model.theta_d.grad = None
    model.weight_decay = 0.0
    loss = nn.functional.cross_entropy(model(x), y) + 0.05 * model.theta().pow(2).sum()  # wd/2 |θ|^2
    loss.backward()
    assert torch.allclose(got, model.theta_d.grad, atol=1e-6)
    assert not torch.allclose(got, model.theta_d.grad - 0.1 * model.theta_d.detach(), atol=1e-4)


def test_full_dimension_with_an_orthonormal_P_trains_like_the_direct_model():
    """d = D, P orthonormal: SGD on θ_d moves θ by P Pᵀ g = g, the direct model's step."""
    x, y = _data(128)
    spec_m = ModelSpec(name="mlp", width=10)
    direct = build_model(spec_m, (1, 12), 3, seed=5).double()
    D = param_count(direct)
    sub = SubspaceModel(
        build_model(spec_m, (1, 12), 3, seed=5).double(),
        DenseProjection(D, D, 0, orthonormal=True, dtype=torch.float64),
    )
    spec = TrainSpec(optimizer="sgd", lr=0.1, momentum=0.9, lr_decay=1.0, epochs=5, batch_size=32, target_train_acc=0)
    x = x.double()
    (a,) = train([Member(direct, x, y, x, y, order_seed=1)], spec)
    (b,) = train([Member(sub, x, y, x, y, order_seed=1)], spec)
    _, _, theta_direct = flat_params(direct)
    assert torch.allclose(sub.theta().detach(), theta_direct, atol=1e-8)
    assert abs(a.final["train_loss"] - b.final["train_loss"]) < 1e-8
    assert (theta_direct - sub.theta0).norm() > 0.1  # it did move
