"""Data randomizations (Zhang et al. 2017) and on-device augmentation, as batched tensor ops.

Every randomization is drawn once from a seeded generator and stays fixed for all epochs.
Inputs are [N, C, ...]: the pixel conditions move pixel *positions*, so a colour pixel keeps
its channels together (a C*H*W shuffle would scatter a pixel's red, green and blue apart).
"""

from __future__ import annotations

import torch


def corrupt_labels(y: torch.Tensor, p: float, num_classes: int, gen: torch.Generator) -> torch.Tensor:
    """With probability p each label is redrawn uniformly from all classes (it may equal the true one)."""
    mask = torch.rand(len(y), generator=gen) < p
    random = torch.randint(num_classes, (len(y),), generator=gen)
    return torch.where(mask, random, y)


def num_positions(x: torch.Tensor) -> int:
    """Pixel positions per sample of an [N, C, ...] batch (H*W for images, L for 1-D signals)."""
    return x[0, 0].numel()


def pixel_permutation(num_positions: int, gen: torch.Generator) -> torch.Tensor:
    return torch.randperm(num_positions, generator=gen)


def shuffle_pixels(x: torch.Tensor, perm: torch.Tensor) -> torch.Tensor:
    """One fixed permutation of the pixel positions, applied to every image (train and test)."""
    return x.flatten(2)[:, :, perm].reshape(x.shape)


def random_pixels(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """An independent permutation of the pixel positions per image (channels move together)."""
    flat = x.flatten(2)
    perms = torch.argsort(torch.rand(flat.shape[0], flat.shape[2], generator=gen), dim=1)
    return torch.gather(flat, 2, perms.unsqueeze(1).expand_as(flat)).reshape(x.shape)


def gaussian_like(x: torch.Tensor, mean: float, std: float, gen: torch.Generator) -> torch.Tensor:
    """Gaussian noise of x's shape with the given mean and std."""
    return torch.randn(x.shape, generator=gen) * std + mean


def augment_batch(x: torch.Tensor, pad: int = 2, gen: torch.Generator | None = None) -> torch.Tensor:
    """Random crops of a [B, C, H, W] batch, on x's device: each image's H x W window moves by up
    to `pad` pixels each way (Zhang et al. 2017, Table 1: random 28x28 crops of the 32x32 image
    are the center crop moved by up to 2). No flip: flips belong to Table 4's "augmentation".

    The batch holds center crops only, so the strip a move uncovers is zero (the image mean after
    whitening) where the paper sees the image's own border. `gen` (a generator on x's device)
    makes the draws reproducible: the loop seeds one per run."""
    b, c, h, w = x.shape
    padded = torch.nn.functional.pad(x, (pad, pad, pad, pad))
    dy = torch.randint(0, 2 * pad + 1, (b, 1, 1), device=x.device, generator=gen)
    dx = torch.randint(0, 2 * pad + 1, (b, 1, 1), device=x.device, generator=gen)
    rows = dy + torch.arange(h, device=x.device).view(1, h, 1)
    cols = dx + torch.arange(w, device=x.device).view(1, 1, w)
    bidx = torch.arange(b, device=x.device).view(b, 1, 1)
    return padded.permute(0, 2, 3, 1)[bidx, rows, cols].permute(0, 3, 1, 2)


def augment_batch_1d(x: torch.Tensor, pad: int = 2, gen: torch.Generator | None = None) -> torch.Tensor:
    """Random shift (zero padding `pad`, then crop) of a [B, C, L] batch of 1-D signals: the 1-D random crop."""
    b, c, length = x.shape
    padded = torch.nn.functional.pad(x, (pad, pad))
    dx = torch.randint(0, 2 * pad + 1, (b, 1, 1), device=x.device, generator=gen)
    cols = (dx + torch.arange(length, device=x.device).view(1, 1, length)).expand(b, c, length)
    return torch.gather(padded, 2, cols)
