"""Which data sets are on disk: torchvision's layout under a data directory, checked without
torch (the CLI's `run` and the app's launch ask before anything trains; engine/data.py reads
the files)."""

from __future__ import annotations

from pathlib import Path

# Where torchvision keeps each data set under its root: (folder, torchvision's Dataset class).
TV_LAYOUT = {
    "mnist": ("MNIST", "MNIST"),
    "fashion-mnist": ("FashionMNIST", "FashionMNIST"),
    "cifar10": ("cifar-10-batches-py", "CIFAR10"),
}


def present(name: str, root: Path) -> bool:
    """True when `name`'s files are under `root` (its IDX files plain or gzipped, or CIFAR's batches)."""
    folder = root / TV_LAYOUT[name][0]
    if name == "cifar10":
        return (folder / "test_batch").exists()
    return (folder / "raw" / "t10k-labels-idx1-ubyte").exists() or (
        folder / "raw" / "t10k-labels-idx1-ubyte.gz"
    ).exists()


def is_available(name: str, data_dir: Path) -> bool:
    """True when loading `name` needs no download (MNIST-1D and the Gaussian task are generated)."""
    return name in ("mnist1d", "gaussian") or present(name, Path(data_dir))
