"""A heatmap `Figure` drawn as coloured terminal cells: row labels on the left, column labels on
top, one background-coloured cell per value (viridis, dark = low), a dot where a value is not
known yet, the numbers inside the cells on demand, and a colour bar with its range and label.

Pure: `render_heatmap(figure, width, numbers)` returns a Rich `Text`; the chart widget shows it.
"""

from __future__ import annotations

import math

from rich.style import Style
from rich.text import Text

from overfit_tui.studies.base import Figure

# viridis from 0.1 to 1.0 (its darkest blue vanishes on a dark terminal)
VIRIDIS = (
    (72, 36, 117),
    (65, 68, 135),
    (53, 95, 141),
    (42, 120, 142),
    (33, 145, 140),
    (34, 168, 132),
    (68, 191, 112),
    (122, 209, 81),
    (189, 223, 38),
    (253, 231, 37),
)
MAX_LABEL = 24
BAR = 20  # colour-bar cells


def ramp(t: float) -> tuple[int, int, int]:
    """The colour at t in [0, 1] (clamped), interpolated between the viridis stops."""
    t = min(1.0, max(0.0, t)) * (len(VIRIDIS) - 1)
    i = min(int(t), len(VIRIDIS) - 2)
    f = t - i
    a, b = VIRIDIS[i], VIRIDIS[i + 1]
    return tuple(round(a[k] + f * (b[k] - a[k])) for k in range(3))


def value_range(fig: Figure) -> tuple[float, float]:
    """The colour scale: the figure's own, else the finite values' min and max."""
    if fig.vrange is not None:
        return fig.vrange
    vals = [v for row in fig.matrix or () for v in row if v is not None and math.isfinite(v)]
    return (min(vals), max(vals)) if vals else (0.0, 1.0)


def fmt(v: float, lo: float, hi: float) -> str:
    return f"{v:.2f}" if lo >= 0 and hi <= 1 else f"{v:.3g}"


def render_heatmap(fig: Figure, width: int = 80, numbers: bool = False, height: int = 0) -> Text:
    """The heatmap in `width` columns, rows growing to 2-3 lines when `height` leaves room; with
    `numbers`, each cell also prints its value. Nothing is cut mid-number: cells are as wide as
    their labels (and numbers, when shown) need, columns that do not fit are left out whole and
    said so, and the colour bar shrinks to fit its range."""
    lo, hi = value_range(fig)
    rows = [r[:MAX_LABEL] for r in fig.rows]
    label_w = max((len(r) for r in rows), default=0)
    ncols = max(1, len(fig.columns))
    values = [v for row in fig.matrix or () for v in row if v is not None and math.isfinite(v)]
    compact = [len(fmt(v, lo, hi).replace("0.", ".", 1)) for v in values if numbers]  # '.90' for 0.90
    need = max([len(c) for c in fig.columns] + compact + [2]) + 1
    room = max(1, width - label_w - 1)
    cell = max(need, min(9, room // ncols))  # one blank column after each cell
    shown = max(1, min(ncols, room // cell))
    row_h = max(1, min(3, (height - 7) // max(1, len(rows)))) if height else 1
    lines = [Text(fig.title, style="bold"), Text(f"{fig.ylabel} ↓   {fig.xlabel} →", style="dim")]
    head = Text(" " * (label_w + 1))
    for c in fig.columns[:shown]:
        head.append(c.center(cell - 1) + " ")
    if shown < ncols:
        head.append(f"+{ncols - shown} →", style="dim")
    lines.append(head)
    for label, vals in zip(rows, fig.matrix or ()):
        for k in range(row_h):
            middle = k == row_h // 2
            line = Text((label if middle else "").rjust(label_w) + " ")
            for v in vals[:shown]:
                line.append(*_cell(v, lo, hi, cell - 1, numbers and middle, middle))
                line.append(" ")
            lines.append(line)
    lines += _colour_bar(fig, lo, hi, label_w + 1, width)
    hint = "n: hide the numbers" if numbers else "n: show the numbers"
    if shown < ncols:
        hint += f" · {ncols - shown} column(s) left out: widen the terminal (e exports all)"
    lines.append(Text(" " * (label_w + 1) + hint, style="dim"))
    for line in lines:
        line.truncate(max(1, width), overflow="crop")  # only the title and hints can reach this
    return Text("\n").join(lines)


def _colour_bar(fig: Figure, lo: float, hi: float, indent: int, width: int) -> list[Text]:
    """'0.00 ████ 1.00  test error' in `width` columns: the bar shrinks first, then the label
    moves to a line of its own; its numbers are never cut."""
    a, b = fmt(lo, lo, hi), fmt(hi, lo, hi)
    indent = indent if indent + len(a) + len(b) + 6 <= width else 0
    cells = max(4, min(BAR, width - indent - len(a) - len(b) - 2 - (len(fig.vlabel) + 2 if fig.vlabel else 0)))
    bar = Text(" " * indent + a + " ")
    for k in range(cells):
        bar.append("█", style=Style(color=_hex(ramp(k / (cells - 1)))))
    bar.append(f" {b}")
    if not fig.vlabel:
        return [bar]
    if bar.cell_len + 2 + len(fig.vlabel) <= width:
        bar.append(f"  {fig.vlabel}")
        return [bar]
    return [bar, Text(" " * indent + fig.vlabel, style="dim")]


def short(v: float, lo: float, hi: float, width: int) -> str:
    """The value in at most `width` characters, rounded rather than cut (0.904 -> '0.90', '.90',
    '.9'); '' where no rounding fits."""
    for s in (fmt(v, lo, hi), *(f"{v:.{d}f}" for d in (1, 0)), f"{v:.2g}"):
        for t in (s, s[1:] if s.startswith("0.") else s, "-" + s[2:] if s.startswith("-0.") else s):
            if len(t) <= width and t not in ("", "."):
                return t
    return ""


def _cell(v: float | None, lo: float, hi: float, width: int, numbers: bool, dot: bool) -> tuple[str, Style | str]:
    if v is None or not math.isfinite(v):
        return ("·" if dot else "").center(width), "dim"
    rgb = ramp((v - lo) / (hi - lo) if hi > lo else 0.5)
    light = 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2] > 140
    text = short(v, lo, hi, width).center(width) if numbers else " " * width
    return text, Style(bgcolor=_hex(rgb), color="black" if light else "white")


def _hex(rgb: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)
