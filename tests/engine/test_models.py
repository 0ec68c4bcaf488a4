"""Models match the papers: parameter counts as published, feature-map sizes, initializations."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from overfit_tui.core.specs import ModelSpec
from overfit_tui.engine.models import build_model, param_count

CIFAR = (3, 28, 28)  # Zhang et al. 2017 train on 28x28 crops
MNIST = (1, 28, 28)


@pytest.mark.parametrize(
    ("spec", "shape", "count"),
    [
        # Zhang et al. 2017, Table 1 (the same count with and without BatchNorm)
        (ModelSpec(name="inception_small", batchnorm=True), CIFAR, 1_649_402),
        (ModelSpec(name="inception_small"), CIFAR, 1_649_402),
        (ModelSpec(name="alexnet_small"), CIFAR, 1_387_786),
        (ModelSpec(name="mlp", width=512, depth=3), CIFAR, 1_735_178),
        (ModelSpec(name="mlp", width=512, depth=1), CIFAR, 1_209_866),
        # Li et al. 2018 (intrinsic dimension): D of LeNet and FC 784-200-200-10 on MNIST
        (ModelSpec(name="lenet"), MNIST, 44_426),
        (ModelSpec(name="mlp", width=200, depth=2), MNIST, 199_210),
    ],
    ids=lambda v: v.label if isinstance(v, ModelSpec) else None,
)
def test_parameter_counts_match_the_papers(spec, shape, count):
    assert param_count(build_model(spec, shape, 10, seed=0)) == count


def test_alexnet_small_pools_to_7x7_maps():
    m = build_model(ModelSpec(name="alexnet_small"), CIFAR, 10, seed=0)
    fc = next(x for x in m if isinstance(x, nn.Linear))
    assert fc.in_features == 64 * 7 * 7
    assert m(torch.randn(2, *CIFAR)).shape == (2, 10)


def test_inception_batchnorm_toggle_changes_the_net_not_its_size():
    with_bn = build_model(ModelSpec(name="inception_small", width=16, batchnorm=True), CIFAR, 10, seed=0)
    without = build_model(ModelSpec(name="inception_small", width=16), CIFAR, 10, seed=0)
    assert any(isinstance(x, nn.BatchNorm2d) for x in with_bn.modules())
    assert not any(isinstance(x, nn.BatchNorm2d) for x in without.modules())
    assert param_count(with_bn) == param_count(without)


def test_glorot_uniform_init_is_keras_default():
    spec = ModelSpec(name="mlp", width=300, depth=1, init="glorot_uniform")
    m = build_model(spec, (1, 40), 10, seed=0)
    w = m[1].weight
    bound = (6 / (40 + 300)) ** 0.5
    assert w.abs().max() <= bound and w.abs().max() > 0.95 * bound  # uniform on [-bound, bound]
    assert abs(w.std().item() - bound / 3**0.5) < 0.02 * bound
    assert torch.count_nonzero(m[1].bias) == 0 and torch.count_nonzero(m[3].bias) == 0
    default = build_model(ModelSpec(name="mlp", width=300, depth=1), (1, 40), 10, seed=0)
    assert torch.count_nonzero(default[1].bias) > 0  # torch's default draws biases too
    again = build_model(spec, (1, 40), 10, seed=0)
    assert torch.equal(again[1].weight, w)  # seeded
