"""Data sets: MNIST-1D generated offline, MNIST read from torchvision's layout, downloads only when allowed."""

from __future__ import annotations

import pytest

from overfit_tui.core.errors import DataUnavailable
from overfit_tui.core.specs import DataSpec
from overfit_tui.engine.data import is_available, prepare


def test_mnist1d_shapes_and_standardized(mnist1d):
    assert mnist1d.x_train.shape == (4000, 1, 40) and mnist1d.x_test.shape == (1000, 1, 40)
    assert mnist1d.num_classes == 10
    assert abs(mnist1d.x_train.mean().item()) < 1e-3 and abs(mnist1d.x_train.std().item() - 1) < 1e-2
    assert set(mnist1d.y_train.unique().tolist()) == set(range(10))


def test_mnist_subset_from_torchvision_layout(mnist_dir, tmp_path):
    ds = prepare(DataSpec(name="mnist"), mnist_dir, tmp_path)
    assert ds.x_train.shape == (4000, 1, 28, 28) and ds.x_test.shape == (1000, 1, 28, 28)
    assert ds.y_train.bincount().min() > 300  # about 400 per class


def test_crop_and_per_image_whitening(mnist_dir, tmp_path):
    ds = prepare(DataSpec(name="mnist", crop=24, whiten="per_image", n_train=100), mnist_dir, tmp_path)
    assert ds.x_train.shape == (100, 1, 24, 24)
    flat = ds.x_train.flatten(1)
    assert flat.mean(1).abs().max() < 1e-4


def test_missing_dataset_is_not_downloaded_without_permission(tmp_path):
    assert not is_available("cifar10", tmp_path)
    with pytest.raises(DataUnavailable, match="--download"):
        prepare(DataSpec(name="cifar10"), tmp_path, tmp_path, download_ok=False)
    assert not any(tmp_path.iterdir())  # nothing was fetched or written


def test_gaussian_dataset_is_learnable_shape(tmp_path):
    ds = prepare(
        DataSpec(name="gaussian", n_train=500, n_test=100, gaussian_dim=20, gaussian_classes=4), tmp_path, tmp_path
    )
    assert ds.x_train.shape == (500, 1, 20) and ds.num_classes == 4
