"""Data sets as whole tensors: load, subset, crop, normalise.

MNIST-1D is generated offline from the mnist1d package's templates and cached.
MNIST, Fashion-MNIST and CIFAR-10 are read from torchvision's on-disk layout in a data
directory; torchvision downloads them only when the caller allows it. (The files are
read directly rather than through torchvision's Dataset classes: that is faster, needs
no PIL round trip, and works where torchvision's compiled ops do not load.)
"""

from __future__ import annotations

import os
import pickle
import struct
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from overfit_tui.core.data_files import TV_LAYOUT, present
from overfit_tui.core.errors import DataUnavailable, SpecError
from overfit_tui.core.specs import DataSpec


@dataclass
class Dataset:
    """A classification data set held as tensors (float32 inputs, int64 labels)."""

    name: str
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    num_classes: int

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(self.x_train.shape[1:])

    def to(self, device) -> Dataset:
        return Dataset(
            self.name, *(t.to(device) for t in (self.x_train, self.y_train, self.x_test, self.y_test)), self.num_classes
        )


def _read_idx(path: Path) -> np.ndarray:
    """An IDX file, plain or gzipped (read in memory: the data directory is never written)."""
    if path.exists():
        data = path.read_bytes()
    else:
        import gzip

        with gzip.open(path.with_name(path.name + ".gz"), "rb") as f:
            data = f.read()
    _, _, dtype_code, ndim = struct.unpack(">BBBB", data[:4])
    dims = struct.unpack(f">{ndim}I", data[4 : 4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def _load_idx_dataset(root: Path, folder: str) -> tuple[np.ndarray, ...]:
    raw = root / folder / "raw"
    names = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
    arrays = []
    for name in names:
        arrays.append(_read_idx(raw / name))
    xtr, ytr, xte, yte = arrays
    return xtr[:, None], ytr, xte[:, None], yte


def _load_cifar10(root: Path) -> tuple[np.ndarray, ...]:
    base = root / "cifar-10-batches-py"

    def batch(name):
        with open(base / name, "rb") as f:
            d = pickle.load(f, encoding="latin1")
        return np.asarray(d["data"], dtype=np.uint8).reshape(-1, 3, 32, 32), np.asarray(d["labels"])

    parts = [batch(f"data_batch_{i}") for i in range(1, 6)]
    xte, yte = batch("test_batch")
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]), xte, yte


def download(name: str, data_dir: Path) -> None:
    """Fetch a torchvision data set into `data_dir` (the only network access in overfit-tui)."""
    try:
        import torchvision.datasets as tvd
    except Exception as e:  # torchvision's compiled ops may not load against this torch build
        raise DataUnavailable(f"cannot download {name}: torchvision does not import here ({e})") from e
    cls = getattr(tvd, TV_LAYOUT[name][1])
    for train in (True, False):
        cls(str(data_dir), train=train, download=True)


def _mnist1d(cache_dir: Path) -> tuple[np.ndarray, ...]:
    cache = cache_dir / "mnist1d" / "mnist1d_default_seed42.npz"
    if not cache.exists():
        # Generated from the package's templates; never get_dataset(), which tries the network.
        import matplotlib

        matplotlib.use("Agg")
        from mnist1d.data import get_dataset_args, make_dataset

        d = make_dataset(get_dataset_args())
        cache.parent.mkdir(parents=True, exist_ok=True)
        # A name per process: concurrent workers (or test processes) may generate at once;
        # each writes its own file and the last atomic rename wins with identical bytes.
        tmp = cache.with_name(f".{cache.stem}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp.npz")
        try:
            np.savez(tmp, x=d["x"], y=d["y"], x_test=d["x_test"], y_test=d["y_test"])
            tmp.replace(cache)
        finally:
            tmp.unlink(missing_ok=True)
    d = np.load(cache)
    return d["x"][:, None], d["y"], d["x_test"][:, None], d["y_test"]


def _gaussian(spec: DataSpec, seed: int) -> tuple[np.ndarray, ...]:
    """A learnable synthetic task: Gaussian inputs, labels from a random linear teacher."""
    rng = np.random.default_rng(seed)
    n_train, n_test = spec.n_train or 4000, spec.n_test or 1000
    w = rng.standard_normal((spec.gaussian_dim, spec.gaussian_classes))
    x = rng.standard_normal((n_train + n_test, spec.gaussian_dim)).astype(np.float32)
    y = (x @ w).argmax(1)
    return x[:n_train, None], y[:n_train], x[n_train:, None], y[n_train:]


def load_raw(spec: DataSpec, data_dir: Path, cache_dir: Path, download_ok: bool = False) -> Dataset:
    """The data set as float tensors in [0, 1] (images) or raw (mnist1d), before normalisation."""
    if spec.name == "mnist1d":
        arrays, k = _mnist1d(cache_dir), 10
    elif spec.name == "gaussian":
        arrays, k = _gaussian(spec, seed=0), spec.gaussian_classes
    else:
        root = Path(data_dir)
        if not present(spec.name, root):
            if not download_ok:
                raise DataUnavailable(
                    f"{spec.name} is not in {root / TV_LAYOUT[spec.name][0]}: "
                    f"pass --download to fetch it, or --data-dir DIR where it already is"
                )
            download(spec.name, root)
        arrays = _load_cifar10(root) if spec.name == "cifar10" else _load_idx_dataset(root, TV_LAYOUT[spec.name][0])
        k = 10
    xtr, ytr, xte, yte = arrays
    scale = 255.0 if xtr.dtype == np.uint8 else 1.0
    to_x = lambda a: torch.from_numpy(np.array(a, copy=True)).float().div_(scale)
    to_y = lambda a: torch.from_numpy(np.asarray(a, dtype=np.int64))
    return Dataset(spec.name, to_x(xtr), to_y(ytr), to_x(xte), to_y(yte), k)


def _center_crop(x: torch.Tensor, size: int) -> torch.Tensor:
    if x.dim() != 4 or size <= 0 or size >= x.shape[-1]:
        return x
    top, left = (x.shape[-2] - size) // 2, (x.shape[-1] - size) // 2
    return x[..., top : top + size, left : left + size].contiguous()


def per_image_whiten(x: torch.Tensor) -> torch.Tensor:
    """tf.image.per_image_standardization: zero mean, unit (adjusted) std per image."""
    flat = x.flatten(1)
    mean = flat.mean(1, keepdim=True)
    adj_std = flat.std(1, keepdim=True).clamp_min(1.0 / flat.shape[1] ** 0.5)
    return ((flat - mean) / adj_std).view_as(x)


SUBSET_SEED = 1234  # fixed: data.n_train / n_test draw the same samples on every machine, run and study
DRAWS: dict[DataSpec, dict] = {}  # what each data spec drew in this process (a run's provenance reads its own)


def balanced_subset(y: torch.Tensor, n: int, num_classes: int, seed: int, key: str, name: str = "") -> torch.Tensor:
    """Indices of a seeded, class-balanced draw of `n` of the samples labelled `y`, in their order.

    Each class gives n // K samples (the first n % K classes one more); a class with fewer gives
    all it has and the others share the rest, as evenly as they can. n equal to the samples
    available keeps them all."""
    if n > len(y):
        what = "training" if key.endswith("train") else "test"
        raise SpecError(key, f"{n:,} {what} samples asked, {name or 'the data set'} has {len(y):,} here")
    g = torch.Generator().manual_seed(seed)
    pools = [torch.nonzero(y == k).flatten() for k in range(num_classes)]
    pools = [p[torch.randperm(len(p), generator=g)] for p in pools]
    take, left = [0] * num_classes, n
    while left:  # water-filling: one more sample per class that still has some, in class order
        open_ = [k for k in range(num_classes) if take[k] < len(pools[k])]
        share = max(left // len(open_), 1)
        for k in open_:
            add = min(share, len(pools[k]) - take[k], left)
            take[k] += add
            left -= add
            if not left:
                break
    return torch.cat([p[:t] for p, t in zip(pools, take)]).sort().values  # n = all: every sample, in order


def subset_record(spec: DataSpec, ytr: torch.Tensor, yte: torch.Tensor, num_classes: int) -> dict:
    """What a subset drew: the seed and the per-class counts (the run's provenance)."""
    counts = lambda y: ",".join(str(c) for c in torch.bincount(y, minlength=num_classes).tolist())
    return {
        "data_subset": f"{spec.name}: n_train {len(ytr):,}, n_test {len(yte):,}, class-balanced, seed {SUBSET_SEED}",
        "data_train_per_class": counts(ytr),
        "data_test_per_class": counts(yte),
    }


def prepare(spec: DataSpec, data_dir: Path, cache_dir: Path, download_ok: bool = False) -> Dataset:
    """Load, subset (seeded), crop and normalise: the data set every condition starts from."""
    ds = load_raw(spec, Path(data_dir), Path(cache_dir), download_ok)
    xtr, ytr, xte, yte = ds.x_train, ds.y_train, ds.x_test, ds.y_test
    if spec.n_train and spec.name != "gaussian":  # gaussian generates exactly n
        keep = balanced_subset(ytr, spec.n_train, ds.num_classes, SUBSET_SEED, "data.n_train", spec.name)
        xtr, ytr = xtr[keep], ytr[keep]
    if spec.n_test and spec.name != "gaussian":
        keep = balanced_subset(yte, spec.n_test, ds.num_classes, SUBSET_SEED + 1, "data.n_test", spec.name)
        xte, yte = xte[keep], yte[keep]
    if spec.n_train or spec.n_test:
        DRAWS[spec] = subset_record(spec, ytr, yte, ds.num_classes)
    xtr, xte = _center_crop(xtr, spec.crop), _center_crop(xte, spec.crop)
    if spec.whiten == "per_image":
        xtr, xte = per_image_whiten(xtr), per_image_whiten(xte)
    elif spec.whiten == "standardize":
        dims = [0] + list(range(2, xtr.dim()))  # per channel
        mean, std = xtr.mean(dims, keepdim=True), xtr.std(dims, keepdim=True).clamp_min(1e-8)
        xtr, xte = (xtr - mean) / std, (xte - mean) / std
    return Dataset(ds.name, xtr.contiguous(), ytr, xte.contiguous(), yte, ds.num_classes)
