"""plotext charts of a comparison as ANSI text (the SVG export; no Textual)."""

from __future__ import annotations

from overfit_tui.export.compare import Comparison


def build_chart(c: Comparison, kind: str, key: str, align: str, width: int, height: int) -> str:
    import plotext as plt

    plt.clear_figure()
    plt.plotsize(width, height)
    plt.theme("pro")
    plt.title(f"{key.replace('_', ' ')} vs {align}")
    plt.xlabel(align)
    for name, r in zip(c.names, c.records):
        xs, ys = c.curve(r["id"], kind, key, align)
        if xs:
            plt.plot(xs, ys, label=name[:40], marker="braille")
    return plt.build()
