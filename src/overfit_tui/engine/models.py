"""Models: MLPs of any width/depth, a 1-D CNN for MNIST-1D, LeNet, and the small AlexNet
and small Inception of Zhang et al. 2017 (Fig. 3) for 28x28 CIFAR-10 crops; LeNet with
unpadded convolutions as Li et al. 2018 count it (lenet_valid).

Every builder takes (spec, input_shape, num_classes) and returns an nn.Module.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from overfit_tui.core.registry import Registry
from overfit_tui.core.specs import ModelSpec

MODELS: Registry = Registry("model")


def _hidden(width: int, spec: ModelSpec, conv: bool = False, dims: int = 2) -> list[nn.Module]:
    """ReLU (BatchNorm before it, dropout after it) as the spec asks."""
    layers: list[nn.Module] = []
    if spec.batchnorm:
        layers.append({1: nn.BatchNorm1d, 2: nn.BatchNorm2d}[dims](width) if conv else nn.BatchNorm1d(width))
    layers.append(nn.ReLU())
    if spec.dropout > 0:
        layers.append(nn.Dropout(spec.dropout))
    return layers


def linear(spec: ModelSpec, input_shape, num_classes) -> nn.Module:
    return nn.Sequential(nn.Flatten(), nn.Linear(math.prod(input_shape), num_classes))


def mlp(spec: ModelSpec, input_shape, num_classes) -> nn.Module:
    width = spec.width or 512
    layers: list[nn.Module] = [nn.Flatten()]
    fan_in = math.prod(input_shape)
    for _ in range(spec.depth):
        layers += [nn.Linear(fan_in, width), *_hidden(width, spec)]
        fan_in = width
    layers.append(nn.Linear(fan_in, num_classes))
    return nn.Sequential(*layers)


def cnn1d(spec: ModelSpec, input_shape, num_classes) -> nn.Module:
    """Three strided 1-D convolutions and a linear head (the MNIST-1D authors' ConvBase)."""
    c = spec.width or 25
    length = input_shape[-1]
    layers: list[nn.Module] = []
    in_c = input_shape[0]
    for kernel in (5, 3, 3):
        layers += [nn.Conv1d(in_c, c, kernel, stride=2, padding=1), *_hidden(c, spec, conv=True, dims=1)]
        in_c = c
        length = (length + 2 - kernel) // 2 + 1
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(c * length, num_classes))


def lenet(spec: ModelSpec, input_shape, num_classes) -> nn.Module:
    c = spec.width or 6
    in_c, h, _ = input_shape
    side = ((h + 4 - 4) // 2 - 4) // 2  # conv5 pad2, pool2, conv5, pool2
    return nn.Sequential(
        nn.Conv2d(in_c, c, 5, padding=2),
        *_hidden(c, spec, conv=True),
        nn.MaxPool2d(2),
        nn.Conv2d(c, 16 * c // 6, 5),
        *_hidden(16 * c // 6, spec, conv=True),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(16 * c // 6 * side * side, 120),
        *_hidden(120, spec),
        nn.Linear(120, 84),
        *_hidden(84, spec),
        nn.Linear(84, num_classes),
    )


def alexnet_small(spec: ModelSpec, input_shape, num_classes) -> nn.Module:
    """Two (conv5x5 -> maxpool3x3/2 -> LRN) blocks, FC 384, FC 192, linear (Zhang et al. 2017, App. A)."""
    c = spec.width or 64
    in_c, h, _ = input_shape
    side = h
    for _ in range(2):
        side = (side - 3) // 2 + 1  # 'same' conv, then pool 3 stride 2
    return nn.Sequential(
        nn.Conv2d(in_c, c, 5, padding=2),
        *_hidden(c, spec, conv=True),
        nn.MaxPool2d(3, 2),
        nn.LocalResponseNorm(4),
        nn.Conv2d(c, c, 5, padding=2),
        *_hidden(c, spec, conv=True),
        nn.MaxPool2d(3, 2),
        nn.LocalResponseNorm(4),
        nn.Flatten(),
        nn.Linear(c * side * side, 384),
        *_hidden(384, spec),
        nn.Linear(384, 192),
        *_hidden(192, spec),
        nn.Linear(192, num_classes),
    )


class _ConvModule(nn.Sequential):
    """Conv -> BatchNorm -> ReLU, the building block of the small Inception."""

    def __init__(self, in_c, out_c, kernel, stride, spec: ModelSpec):
        super().__init__(nn.Conv2d(in_c, out_c, kernel, stride, padding=kernel // 2), *_hidden(out_c, spec, conv=True))


class _Inception(nn.Module):
    def __init__(self, in_c, ch1, ch3, spec):
        super().__init__()
        self.b1, self.b3 = _ConvModule(in_c, ch1, 1, 1, spec), _ConvModule(in_c, ch3, 3, 1, spec)

    def forward(self, x):
        return torch.cat([self.b1(x), self.b3(x)], 1)


class _Downsample(nn.Module):
    def __init__(self, in_c, ch3, spec):
        super().__init__()
        self.conv, self.pool = _ConvModule(in_c, ch3, 3, 2, spec), nn.MaxPool2d(3, 2, padding=1)

    def forward(self, x):
        return torch.cat([self.conv(x), self.pool(x)], 1)


def inception_small(spec: ModelSpec, input_shape, num_classes) -> nn.Module:
    """The small Inception of Zhang et al. 2017, Fig. 3 (BatchNorm on by the paper; `batchnorm` toggles it)."""
    s = (spec.width or 96) / 96  # scales every channel count; 96 = the paper
    ch = lambda n: max(1, round(n * s))
    in_c = input_shape[0]
    blocks: list[nn.Module] = [_ConvModule(in_c, ch(96), 3, 1, spec)]
    c = ch(96)
    plan = [
        ("i", 32, 32),
        ("i", 32, 48),
        ("d", 80),
        ("i", 112, 48),
        ("i", 96, 64),
        ("i", 80, 80),
        ("i", 48, 96),
        ("d", 96),
        ("i", 176, 160),
        ("i", 176, 160),
    ]
    for step in plan:
        if step[0] == "i":
            blocks.append(_Inception(c, ch(step[1]), ch(step[2]), spec))
            c = ch(step[1]) + ch(step[2])
        else:
            blocks.append(_Downsample(c, ch(step[1]), spec))
            c = ch(step[1]) + c
    return nn.Sequential(*blocks, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c, num_classes))


def lenet_valid(spec: ModelSpec, input_shape, num_classes) -> nn.Module:
    """LeNet with unpadded convolutions, as Li et al. 2018 use it: D = 44,426 on MNIST, 62,006 on CIFAR-10."""
    c = spec.width or 6
    in_c, h, _ = input_shape
    side = ((h - 4) // 2 - 4) // 2  # conv5, pool2, conv5, pool2
    return nn.Sequential(
        nn.Conv2d(in_c, c, 5),
        *_hidden(c, spec, conv=True),
        nn.MaxPool2d(2),
        nn.Conv2d(c, 16 * c // 6, 5),
        *_hidden(16 * c // 6, spec, conv=True),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(16 * c // 6 * side * side, 120),
        *_hidden(120, spec),
        nn.Linear(120, 84),
        *_hidden(84, spec),
        nn.Linear(84, num_classes),
    )


for _name, _fn in [
    ("linear", linear),
    ("mlp", mlp),
    ("cnn1d", cnn1d),
    ("lenet", lenet),
    ("alexnet_small", alexnet_small),
    ("inception_small", inception_small),
    ("lenet_valid", lenet_valid),
]:
    MODELS.register(_name, _fn)


def build_model(spec: ModelSpec, input_shape, num_classes: int, seed: int) -> nn.Module:
    """The model, initialized from `seed` alone (independent of the global RNG state)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return MODELS.get(spec.name)(spec, tuple(input_shape), num_classes)


def param_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def fusable(model: nn.Module) -> bool:
    """True when copies of the model can train stacked under vmap (no BatchNorm state, no dropout RNG)."""
    return not any(
        isinstance(m, (nn.modules.batchnorm._BatchNorm, nn.Dropout, nn.LocalResponseNorm)) for m in model.modules()
    )
