"""Models: MLPs of any width/depth, a 1-D CNN for MNIST-1D, LeNet, the small AlexNet
and small Inception of Zhang et al. 2017 (Fig. 3) for 28x28 CIFAR-10 crops, and Frankle &
Carbin 2019's LeNet-300-100 and Conv-2/4/6, LeNet with unpadded convolutions as Li et al.
2018 count it (lenet_valid).

Every builder takes (spec, input_shape, num_classes) and returns an nn.Module.
"""

from __future__ import annotations

import math
from dataclasses import replace

import torch
from torch import nn

from overfit_tui.core.registry import Registry
from overfit_tui.core.specs import ModelSpec
from overfit_tui.engine.sizes import INCEPTION_PLAN, VGG11_PLAN

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
    """LeNet-5 without input padding: 44,426 parameters on MNIST, Li et al. 2018's D."""
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


def _lrn() -> nn.Module:
    """TensorFlow's CIFAR-10 LRN (depth_radius 4, bias 1, alpha 0.001/9, beta 0.75) in torch's terms:
    torch divides alpha by the window size, TF does not."""
    return nn.LocalResponseNorm(9, alpha=0.001, beta=0.75, k=1.0)


def alexnet_small(spec: ModelSpec, input_shape, num_classes) -> nn.Module:
    """Two (conv5x5 -> maxpool3x3/2 -> LRN) blocks, FC 384, FC 192, linear (Zhang et al. 2017, App. A).

    Convolutions and pools are 'SAME' padded as in TensorFlow: 28x28 -> 14x14 -> 7x7 maps,
    1,387,786 parameters (Table 1)."""
    c = spec.width or 64
    in_c, h, _ = input_shape
    side = h
    for _ in range(2):
        side = (side + 2 - 3) // 2 + 1  # 'same' conv, then pool 3 stride 2 padding 1: ceil(side / 2)
    return nn.Sequential(
        nn.Conv2d(in_c, c, 5, padding=2),
        *_hidden(c, spec, conv=True),
        nn.MaxPool2d(3, 2, padding=1),
        _lrn(),
        nn.Conv2d(c, c, 5, padding=2),
        *_hidden(c, spec, conv=True),
        nn.MaxPool2d(3, 2, padding=1),
        _lrn(),
        nn.Flatten(),
        nn.Linear(c * side * side, 384),
        *_hidden(384, spec),
        nn.Linear(384, 192),
        *_hidden(192, spec),
        nn.Linear(192, num_classes),
    )


class _BNShift(nn.BatchNorm2d):
    """BatchNorm with a learned shift and no scale: TensorFlow's batch_norm default (center=True,
    scale=False). The shift replaces the convolution's bias, which is why Table 1 gives the small
    Inception the same 1,649,402 parameters with and without BatchNorm."""

    def __init__(self, c: int):
        super().__init__(c, affine=False)
        self.shift = nn.Parameter(torch.zeros(c))

    def forward(self, x):
        return super().forward(x) + self.shift.view(1, -1, 1, 1)


class _ConvModule(nn.Sequential):
    """Conv -> BatchNorm -> ReLU (-> dropout), the building block of the small Inception (Fig. 3)."""

    def __init__(self, in_c, out_c, kernel, stride, spec: ModelSpec):
        conv = nn.Conv2d(in_c, out_c, kernel, stride, padding=kernel // 2, bias=not spec.batchnorm)
        norm = [_BNShift(out_c)] if spec.batchnorm else []
        drop = [nn.Dropout(spec.dropout)] if spec.dropout > 0 else []
        super().__init__(conv, *norm, nn.ReLU(), *drop)


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
    for step in INCEPTION_PLAN:
        if step[0] == "i":
            blocks.append(_Inception(c, ch(step[1]), ch(step[2]), spec))
            c = ch(step[1]) + ch(step[2])
        else:
            blocks.append(_Downsample(c, ch(step[1]), spec))
            c = ch(step[1]) + c
    return nn.Sequential(*blocks, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c, num_classes))


def lenet_300_100(spec: ModelSpec, input_shape, num_classes) -> nn.Module:
    """LeNet-300-100 (LeCun et al. 1998; Frankle & Carbin 2019's fully-connected net): 266,610 parameters on MNIST."""
    return nn.Sequential(
        nn.Flatten(),
        nn.Linear(math.prod(input_shape), 300),
        *_hidden(300, spec),
        nn.Linear(300, 100),
        *_hidden(100, spec),
        nn.Linear(100, num_classes),
    )


def _conv_lth(pairs: int):
    """Frankle & Carbin 2019's Conv-2/4/6 (Fig. 2, VGG-like): `pairs` blocks of two 3x3 'same'
    convolutions (64, 128, 256 channels; `width` scales them) each followed by a 2x2 max-pool,
    then FC 256, FC 256 and the output layer."""

    def build(spec: ModelSpec, input_shape, num_classes) -> nn.Module:
        base = spec.width or 64
        in_c, side, _ = input_shape
        layers: list[nn.Module] = []
        for b in range(pairs):
            c = base * 2**b
            layers += [nn.Conv2d(in_c, c, 3, padding=1), *_hidden(c, spec, conv=True)]
            layers += [nn.Conv2d(c, c, 3, padding=1), *_hidden(c, spec, conv=True), nn.MaxPool2d(2)]
            in_c, side = c, side // 2
        layers += [nn.Flatten(), nn.Linear(in_c * side * side, 256), *_hidden(256, spec)]
        layers += [nn.Linear(256, 256), *_hidden(256, spec), nn.Linear(256, num_classes)]
        return nn.Sequential(*layers)

    return build


for _name, _fn in [
    ("linear", linear),
    ("mlp", mlp),
    ("cnn1d", cnn1d),
    ("lenet", lenet),
    ("alexnet_small", alexnet_small),
    ("inception_small", inception_small),
    ("lenet_300_100", lenet_300_100),
    ("conv2", _conv_lth(1)),
    ("conv4", _conv_lth(2)),
    ("conv6", _conv_lth(3)),
    ("lenet_valid", lenet),  # the name the intrinsic-dimension presets use: LeNet is already unpadded
]:
    MODELS.register(_name, _fn)


def glorot_uniform_(model: nn.Module) -> nn.Module:
    """Keras' default initialization (Belkin et al. 2018): Glorot-uniform weights, zero biases."""
    for m in model.modules():
        if isinstance(m, (nn.Linear, nn.Conv1d, nn.Conv2d)):
            nn.init.xavier_uniform_(m.weight)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
    return model


INITS = {"default": lambda model: model, "glorot_uniform": glorot_uniform_}


def build_model(spec: ModelSpec, input_shape, num_classes: int, seed: int) -> nn.Module:
    """The model, initialized from `seed` alone (independent of the global RNG state)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return INITS[spec.init](MODELS.get(spec.name)(spec, tuple(input_shape), num_classes))


def param_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def fusable(model: nn.Module) -> bool:
    """True when copies of the model can train stacked under vmap (no BatchNorm state, no dropout RNG)."""
    return not any(
        isinstance(m, (nn.modules.batchnorm._BatchNorm, nn.Dropout, nn.LocalResponseNorm)) for m in model.modules()
    )


def vgg11(spec: ModelSpec, input_shape, num_classes) -> nn.Module:
    """VGG-11 in its CIFAR-10 layout (Zhang, Bengio, Singer 2019): eight 3x3 convolutions
    (each followed by BatchNorm when the spec asks), five 2x2 max-pools, then FC 512, FC 512 and a linear
    output: 11 weight layers, 9,750,922 parameters on 32x32x3 inputs (9,756,426 with BatchNorm).
    `width` scales the channels (64 = the paper); a pool is skipped once the map is 1x1, and the
    map is averaged to 1x1 before the classifier (a no-op on 32x32 inputs)."""
    s = (spec.width or 64) / 64
    in_c, side = input_shape[0], input_shape[-1]
    layers: list[nn.Module] = []
    for v in VGG11_PLAN:
        if v == "M":
            if side >= 2:
                layers.append(nn.MaxPool2d(2))
                side //= 2
            continue
        c = max(1, round(v * s))
        layers += [nn.Conv2d(in_c, c, 3, padding=1), *_hidden(c, spec, conv=True)]
        in_c = c
    hidden = max(1, round(512 * s))
    fc = replace(spec, batchnorm=False)  # BatchNorm after the convolutions only, as in torchvision's vgg11_bn
    return nn.Sequential(
        *layers,
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(in_c, hidden),
        *_hidden(hidden, fc),
        nn.Linear(hidden, hidden),
        *_hidden(hidden, fc),
        nn.Linear(hidden, num_classes),
    )


MODELS.register("vgg11", vgg11)


class _NoisyBatchNorm:
    """BatchNorm followed by random noise whose distribution changes at every training step
    (Santurkar et al. 2018, Sec. 2.1, "noisy" BatchNorm). At each forward pass in training
    mode, every channel c draws a mean mu_c ~ U(-noise_mean, noise_mean) and a standard deviation
    sigma_c ~ U(0, noise_std); every activation of every sample then gets i.i.d. noise
    N(mu_c, sigma_c^2) added. Evaluation adds none. Draws use the global generator (seeded per
    run by the engine, like dropout). With `hold` set, the first draw is kept and reused (a
    landscape probe evaluates one fixed loss), until `hold` is cleared."""

    noise_mean: float = 0.0
    noise_std: float = 0.0
    hold: bool = False
    held: torch.Tensor | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = super().forward(x)
        if not self.training or (self.noise_mean == 0 and self.noise_std == 0):
            return y
        if self.hold and self.held is not None and self.held.shape == y.shape:
            return y + self.held
        noise = self.draw(tuple(y.shape), y.device, y.dtype)
        if self.hold:
            self.held = noise
        return y + noise

    def draw(self, shape: tuple[int, ...], device, dtype) -> torch.Tensor:
        """One step's noise for activations of `shape` [B, C, ...]."""
        per_channel = (1, shape[1]) + (1,) * (len(shape) - 2)
        mu = (2 * torch.rand(per_channel, device=device, dtype=dtype) - 1) * self.noise_mean
        sigma = torch.rand(per_channel, device=device, dtype=dtype) * self.noise_std
        return mu + sigma * torch.randn(shape, device=device, dtype=dtype)


class NoisyBatchNorm1d(_NoisyBatchNorm, nn.BatchNorm1d):
    """BatchNorm1d + time-varying noise (see `_NoisyBatchNorm`)."""


class NoisyBatchNorm2d(_NoisyBatchNorm, nn.BatchNorm2d):
    """BatchNorm2d + time-varying noise (see `_NoisyBatchNorm`)."""


def with_noisy_batchnorm(model: nn.Module, noise_mean: float, noise_std: float) -> nn.Module:
    """Replace every BatchNorm1d/2d of `model` (in place) by its noisy twin with the same
    parameters and buffers (state-dict keys unchanged); returns the model."""
    for parent in list(model.modules()):
        for name, child in list(parent.named_children()):
            kind = {nn.BatchNorm1d: NoisyBatchNorm1d, nn.BatchNorm2d: NoisyBatchNorm2d}.get(type(child))
            if kind is None:
                continue
            noisy = kind(child.num_features, child.eps, child.momentum, child.affine, child.track_running_stats)
            noisy.load_state_dict(child.state_dict())
            noisy.noise_mean, noisy.noise_std = noise_mean, noise_std
            where = next(iter([*child.parameters(), *child.buffers()]), None)
            noisy = noisy.to(where.device) if where is not None else noisy
            setattr(parent, name, noisy.train(child.training))
    return model
