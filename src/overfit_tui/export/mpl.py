"""Saving a matplotlib figure without its layout warnings on the user's terminal."""

from __future__ import annotations

import warnings
from pathlib import Path


def save_quietly(f, path: Path, **kw) -> None:
    """savefig with matplotlib's "constrained_layout not applied" warning kept off the terminal:
    a legend too tall for the layout engine still gives a whole, readable figure."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*layout not applied.*")
        f.savefig(path, **kw)
