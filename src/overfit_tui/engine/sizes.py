"""The parameters of engine/models.py's models, counted without building them (no torch): each
builder's parametrized layers in module order, from the same arithmetic on the same spec, input
shape and class count. A study description reads a model's size here when a group expands or
its form validates (intrinsic dimension's D), so that expanding loads no torch.

`layers(spec, input_shape, num_classes)` lists them; `param_count(...)` is their sum, equal to
`engine.models.param_count(build_model(...))` for every model name (tests/studies/test_sizes.py
compares the two for every model, several widths, depths and input shapes, with and without
BatchNorm). A model added to engine/models.py needs its lines here: the test names a missing one.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from overfit_tui.core.specs import ModelSpec


@dataclass(frozen=True)
class Layer:
    """One parametrized module: its kind ("fc" Linear, "conv" Conv1d/Conv2d, "norm" BatchNorm or
    the small Inception's BatchNorm shift) and its weight and bias element counts."""

    kind: str
    weight: int
    bias: int

    @property
    def size(self) -> int:
        return self.weight + self.bias


def _fc(fan_in: int, out: int) -> Layer:
    if fan_in < 0 or out < 0:  # torch refuses the tensor: so does the count
        raise ValueError(f"a Linear({fan_in}, {out}) layer has a negative dimension")
    return Layer("fc", fan_in * out, out)


def _conv(in_c: int, out_c: int, kernel: int, dims: int = 2, bias: bool = True) -> Layer:
    return Layer("conv", in_c * out_c * kernel**dims, out_c if bias else 0)


def _hidden(width: int, spec: ModelSpec) -> list[Layer]:
    """models._hidden: BatchNorm (affine: a scale and a shift per channel) when the spec asks;
    ReLU and dropout have no parameters."""
    return [Layer("norm", width, width)] if spec.batchnorm else []


def linear(spec: ModelSpec, input_shape, num_classes) -> list[Layer]:
    return [_fc(math.prod(input_shape), num_classes)]


def mlp(spec: ModelSpec, input_shape, num_classes) -> list[Layer]:
    width = spec.width or 512
    out, fan_in = [], math.prod(input_shape)
    for _ in range(spec.depth):
        out += [_fc(fan_in, width), *_hidden(width, spec)]
        fan_in = width
    return [*out, _fc(fan_in, num_classes)]


def cnn1d(spec: ModelSpec, input_shape, num_classes) -> list[Layer]:
    c = spec.width or 25
    length, in_c, out = input_shape[-1], input_shape[0], []
    for kernel in (5, 3, 3):
        out += [_conv(in_c, c, kernel, dims=1), *_hidden(c, spec)]
        in_c = c
        length = (length + 2 - kernel) // 2 + 1
    return [*out, _fc(c * length, num_classes)]


def lenet(spec: ModelSpec, input_shape, num_classes) -> list[Layer]:
    c = spec.width or 6
    in_c, h, _ = input_shape
    side = ((h - 4) // 2 - 4) // 2
    c2 = 16 * c // 6
    return [
        _conv(in_c, c, 5),
        *_hidden(c, spec),
        _conv(c, c2, 5),
        *_hidden(c2, spec),
        _fc(c2 * side * side, 120),
        *_hidden(120, spec),
        _fc(120, 84),
        *_hidden(84, spec),
        _fc(84, num_classes),
    ]


def alexnet_small(spec: ModelSpec, input_shape, num_classes) -> list[Layer]:
    c = spec.width or 64
    in_c, h, _ = input_shape
    side = h
    for _ in range(2):
        side = (side + 2 - 3) // 2 + 1
    return [  # the LRN layers have no parameters
        _conv(in_c, c, 5),
        *_hidden(c, spec),
        _conv(c, c, 5),
        *_hidden(c, spec),
        _fc(c * side * side, 384),
        *_hidden(384, spec),
        _fc(384, 192),
        *_hidden(192, spec),
        _fc(192, num_classes),
    ]


# The small Inception of Zhang et al. 2017, Fig. 3, after its first 3x3 convolution: ("i", 1x1
# channels, 3x3 channels) an Inception module, ("d", channels) a downsample module (paper widths;
# models.inception_small builds it, this module counts it).
INCEPTION_PLAN = (
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
)


def _conv_module(in_c: int, out_c: int, kernel: int, spec: ModelSpec) -> list[Layer]:
    """models._ConvModule: with BatchNorm the convolution has no bias and the norm only a shift."""
    return [_conv(in_c, out_c, kernel, bias=not spec.batchnorm), *([Layer("norm", 0, out_c)] if spec.batchnorm else [])]


def inception_small(spec: ModelSpec, input_shape, num_classes) -> list[Layer]:
    s = (spec.width or 96) / 96
    ch = lambda n: max(1, round(n * s))  # as models.inception_small writes it
    out = _conv_module(input_shape[0], ch(96), 3, spec)
    c = ch(96)
    for step in INCEPTION_PLAN:
        if step[0] == "i":
            out += _conv_module(c, ch(step[1]), 1, spec) + _conv_module(c, ch(step[2]), 3, spec)
            c = ch(step[1]) + ch(step[2])
        else:
            out += _conv_module(c, ch(step[1]), 3, spec)
            c = ch(step[1]) + c
    return [*out, _fc(c, num_classes)]


def lenet_300_100(spec: ModelSpec, input_shape, num_classes) -> list[Layer]:
    return [
        _fc(math.prod(input_shape), 300),
        *_hidden(300, spec),
        _fc(300, 100),
        *_hidden(100, spec),
        _fc(100, num_classes),
    ]


def _conv_lth(pairs: int) -> Callable[..., list[Layer]]:
    def layers_of(spec: ModelSpec, input_shape, num_classes) -> list[Layer]:
        base = spec.width or 64
        in_c, side, _ = input_shape
        out: list[Layer] = []
        for b in range(pairs):
            c = base * 2**b
            out += [_conv(in_c, c, 3), *_hidden(c, spec), _conv(c, c, 3), *_hidden(c, spec)]
            in_c, side = c, side // 2
        out += [_fc(in_c * side * side, 256), *_hidden(256, spec)]
        return [*out, _fc(256, 256), *_hidden(256, spec), _fc(256, num_classes)]

    return layers_of


VGG11_PLAN = (64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M")  # Simonyan & Zisserman, config A


def vgg11(spec: ModelSpec, input_shape, num_classes) -> list[Layer]:
    s = (spec.width or 64) / 64
    in_c, out = input_shape[0], []
    for v in VGG11_PLAN:  # the pools and the average pool have no parameters
        if v == "M":
            continue
        c = max(1, round(v * s))
        out += [_conv(in_c, c, 3), *_hidden(c, spec)]
        in_c = c
    hidden = max(1, round(512 * s))  # no BatchNorm in the classifier, as models.vgg11
    return [*out, _fc(in_c, hidden), _fc(hidden, hidden), _fc(hidden, num_classes)]


LAYERS: dict[str, Callable[..., list[Layer]]] = {
    "linear": linear,
    "mlp": mlp,
    "cnn1d": cnn1d,
    "lenet": lenet,
    "alexnet_small": alexnet_small,
    "inception_small": inception_small,
    "lenet_300_100": lenet_300_100,
    "conv2": _conv_lth(1),
    "conv4": _conv_lth(2),
    "conv6": _conv_lth(3),
    "lenet_valid": lenet,
    "vgg11": vgg11,
}


def layers(spec: ModelSpec, input_shape, num_classes: int) -> list[Layer]:
    """The model's parametrized layers in module order (what build_model would hold)."""
    return LAYERS[spec.name](spec, tuple(input_shape), num_classes)


def param_count(spec: ModelSpec, input_shape, num_classes: int) -> int:
    """The model's parameter count (weights, biases, BatchNorm affine), as build_model's would be."""
    return sum(layer.size for layer in layers(spec, input_shape, num_classes))


def prunable_sizes(spec: ModelSpec, input_shape, num_classes: int, biases: bool) -> list[tuple[str, int]]:
    """The lottery study's prunable layers as (kind, entries) in module order, as
    studies/shared/pruning.py's `prunable_layers` and `layer_sizes` find them on the built model:
    every Linear and Conv weight (with its bias where `biases` and the layer has one), the last
    Linear the "output" layer."""
    found = [(la.kind, la.weight + (la.bias if biases else 0)) for la in layers(spec, input_shape, num_classes)]
    found = [(kind, n) for kind, n in found if kind in ("fc", "conv")]
    last = max((i for i, (kind, _) in enumerate(found) if kind == "fc"), default=None)
    return [("output" if i == last else kind, n) for i, (kind, n) in enumerate(found)]
