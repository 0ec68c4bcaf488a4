"""VGG-11 (CIFAR-10 layout) has the layers and parameter count the paper's network has."""

from __future__ import annotations

import torch
from torch import nn

from overfit_tui.core.specs import ModelSpec
from overfit_tui.engine.models import build_model, param_count


def _expected(channels=(64, 128, 256, 256, 512, 512, 512, 512), fc=512, k=10, bn=False) -> int:
    convs, c_in = 0, 3
    for c in channels:
        convs += c_in * c * 9 + c + (2 * c if bn else 0)
        c_in = c
    fcs = (c_in * fc + fc) + (fc * fc + fc) + (fc * k + k)  # BatchNorm after convolutions only
    return convs + fcs


def test_vgg11_parameter_count_and_layers():
    m = build_model(ModelSpec(name="vgg11"), (3, 32, 32), 10, seed=0)
    assert param_count(m) == _expected() == 9_750_922
    weights = [x for x in m.modules() if isinstance(x, (nn.Conv2d, nn.Linear))]
    assert [type(x).__name__ for x in weights] == ["Conv2d"] * 8 + ["Linear"] * 3  # 11 weight layers
    assert sum(isinstance(x, nn.MaxPool2d) for x in m.modules()) == 5
    bn = build_model(ModelSpec(name="vgg11", batchnorm=True), (3, 32, 32), 10, seed=0)
    assert param_count(bn) == _expected(bn=True) == 9_756_426


def test_vgg11_scaled_width_runs_on_small_images():
    m = build_model(ModelSpec(name="vgg11", width=8), (1, 28, 28), 10, seed=0)
    assert param_count(m) == _expected(channels=(8, 16, 32, 32, 64, 64, 64, 64), fc=64) - 2 * 8 * 9
    assert m(torch.randn(2, 1, 28, 28)).shape == (2, 10)
