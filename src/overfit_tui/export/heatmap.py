"""A heatmap `Figure` as a vector or raster file (matplotlib: imshow with a colour bar, row
and column labels, the values printed in the cells, cells not known yet left blank).

Headless (Agg backend) and deterministic: the same figure gives the same file.
"""

from __future__ import annotations

import math
from pathlib import Path

from overfit_tui.export.mpl import save_quietly
from overfit_tui.studies.base import Figure


def draw_heatmap(fig: Figure, path: Path) -> Path:
    """Write a heatmap figure to `path` (.svg or .png); returns the path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    if not fig.is_heatmap:
        raise ValueError(f"figure {fig.key!r} is not a heatmap")
    rows = fig.matrix or ()
    data = np.array([[np.nan if v is None else float(v) for v in row] for row in rows], dtype=float).reshape(
        len(fig.rows), len(fig.columns)
    )
    finite = data[np.isfinite(data)]
    lo, hi = fig.vrange or ((float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0))
    plt.rcParams["svg.hashsalt"] = "overfit-tui"
    width = 2.0 + 0.75 * len(fig.columns)
    height = 1.6 + 0.45 * len(fig.rows)
    f, ax = plt.subplots(figsize=(max(5.0, width), max(2.5, height)), layout="constrained")
    im = ax.imshow(np.ma.masked_invalid(data), cmap="viridis", vmin=lo, vmax=hi, aspect="auto")
    ax.set_xticks(range(len(fig.columns)), labels=list(fig.columns))
    ax.set_yticks(range(len(fig.rows)), labels=list(fig.rows))
    ax.set_xlabel(fig.xlabel)
    ax.set_ylabel(fig.ylabel)
    ax.set_title(fig.title)
    mid = (lo + hi) / 2
    for i in range(data.shape[0]):
        for j in range(data.shape[1]):
            v = data[i, j]
            if math.isfinite(v):
                text = f"{v:.2f}" if lo >= 0 and hi <= 1 else f"{v:.3g}"
                ax.text(j, i, text, ha="center", va="center", fontsize=8, color="black" if v > mid else "white")
    f.colorbar(im, ax=ax, label=fig.vlabel)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_quietly(f, path, metadata={"Date": None} if path.suffix == ".svg" else None)
    plt.close(f)
    return path
