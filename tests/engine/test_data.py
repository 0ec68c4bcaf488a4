"""Data sets: MNIST-1D generated offline, MNIST read from torchvision's layout, downloads only when allowed."""

from __future__ import annotations

import numpy as np
import pytest

from overfit_tui.core.data_files import is_available
from overfit_tui.core.errors import DataUnavailable
from overfit_tui.core.specs import DataSpec
from overfit_tui.engine.data import prepare


def test_mnist1d_shapes_and_standardized(mnist1d):
    assert mnist1d.x_train.shape == (4000, 1, 40) and mnist1d.x_test.shape == (1000, 1, 40)
    assert mnist1d.num_classes == 10
    assert abs(mnist1d.x_train.mean().item()) < 1e-3 and abs(mnist1d.x_train.std().item() - 1) < 1e-2
    assert set(mnist1d.y_train.unique().tolist()) == set(range(10))


def test_mnist_subset_from_torchvision_layout(mnist_dir, tmp_path):
    assert is_available("mnist", mnist_dir)  # the torch-free check agrees with the loader
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


def test_concurrent_mnist1d_generation_never_collides(tmp_path, monkeypatch):
    """Workers (and xdist test processes) may generate the cache at once: each writes its own
    temporary file, so none fails on another's rename, and no temporary file is left behind."""
    import threading
    import time

    import mnist1d.data as m

    from overfit_tui.engine import data

    def slow_make(args):
        time.sleep(0.2)
        x = np.arange(40, dtype=np.float32).reshape(4, 10)
        return {"x": x, "y": np.arange(4), "x_test": x[:2], "y_test": np.arange(2)}

    monkeypatch.setattr(m, "make_dataset", slow_make)
    errors, results = [], []

    def load():
        try:
            results.append(data._mnist1d(tmp_path))
        except Exception as e:  # pragma: no cover - the failure this test guards against
            errors.append(e)

    threads = [threading.Thread(target=load) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(results) == 4 and all(r[0].shape == (4, 1, 10) for r in results)
    assert [p.name for p in (tmp_path / "mnist1d").iterdir()] == ["mnist1d_default_seed42.npz"]


def test_gzipped_idx_is_read_without_writing_the_data_dir(mnist_dir, tmp_path):
    """A data directory holding only .gz files loads, and nothing is written into it."""
    import gzip

    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for src in (mnist_dir / "MNIST" / "raw").iterdir():
        if not src.name.endswith(".gz"):
            (raw / (src.name + ".gz")).write_bytes(gzip.compress(src.read_bytes()))
    before = sorted(p.name for p in raw.iterdir())
    from overfit_tui.engine import data

    xtr, ytr, xte, yte = data._load_idx_dataset(tmp_path, "MNIST")
    assert xtr.shape[0] == ytr.shape[0] == 4000 and xte.shape[0] == 1000
    assert sorted(p.name for p in raw.iterdir()) == before
