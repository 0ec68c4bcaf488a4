"""Chart widgets over textual-plotext: each keeps its own data and replots on demand
(clear_data, plot, refresh), downsampled to its width, at most a few times a second.

A chart that cannot draw says why in its own area (no points yet, no positive values on
a log axis, a plotext failure) instead of raising: one bad figure never takes the app down.
A heatmap figure is drawn as coloured cells instead (ui/heatmap.py). Seed bands are of the
kind the user picked (core/bands.py: 95 % t-interval by default, s.e., s.d., or min-max).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual_plotext import PlotextPlot

from overfit_tui.core.bands import band_note
from overfit_tui.export.style import DIM, Style, series_colors
from overfit_tui.studies.base import Figure, Series
from overfit_tui.studies.replicates import series_of
from overfit_tui.ui.heatmap import render_heatmap
from overfit_tui.ui.legend import Legend
from overfit_tui.ui.series import downsample, ema, finite

METRICS = [
    ("step", "train_loss", "training loss"),
    ("eval", "train_acc", "train accuracy"),
    ("eval", "test_acc", "test accuracy"),
    ("eval", "test_loss", "test loss"),
]
MARKERS = ("braille", "dot", "x", "+")  # one per model or setting (Style.dash); braille is the finest


def _keep(xs: list, ys: list, logx: bool, logy: bool) -> tuple[list, list]:
    pts = [(x, y) for x, y in zip(xs, ys) if isinstance(x, (int, float)) and math.isfinite(x)]
    pts = [(x, y) for x, y in pts if (not logx or x > 0) and (not logy or y > 0)]
    return [p[0] for p in pts], [p[1] for p in pts]


@dataclass
class Plan:
    """What a chart draws: plotext calls, or a message saying why nothing can be drawn."""

    ops: list[tuple[str, tuple, dict]] = field(default_factory=list)
    message: str | None = None
    note: str = ""  # a caveat about what is drawn (e.g. log y fell back to linear)
    points: int = 0
    logy: bool = False
    band: str = ""  # what the seed bands are ('mean ± 95 % CI, n = 3'); '' without any


def plan(
    fig: Figure | None,
    width: int,
    styles: dict[str, Style] | None = None,
    smoothing: float = 0.0,
    logy: bool = False,
    highlight: str | None = None,
    empty_text: str = "no data yet",
    band: str = "ci",
) -> Plan:
    """Turn a Figure into plotext calls: non-finite points dropped, non-positive ones on a log
    axis too (log y falls back to linear when nothing positive is left), curves downsampled to
    the width, the highlighted series on top in colour and the others dimmed."""
    styles = styles or {}
    if fig is None:
        return Plan(message=empty_text)
    logx = fig.xlog
    drawn = [(i, s, *_keep(*finite(s.x, s.y), logx, False)) for i, s in enumerate(fig.series)]
    drawn = [d for d in drawn if d[2]]
    if not drawn:
        return Plan(message=f"{fig.title}: no points yet")
    out = Plan(logy=logy, band=band_note(fig.series, band))
    if logy and not any(y > 0 for *_, ys in drawn for y in ys):
        out.logy, out.note = False, "no positive values: linear y"
    drawn = [(i, s, *_keep(xs, ys, logx, out.logy)) for i, s, xs, ys in drawn]
    colors = series_colors(len(fig.series))
    index = {s.name: i for i, s in enumerate(fig.series)}
    for i, s, xs, ys in sorted(drawn, key=lambda d: d[1].name == highlight):  # the highlighted one on top
        if not xs:
            continue
        ys = ema(ys, smoothing) if smoothing and not s.points else ys
        xs, ys = downsample(xs, ys, max(width - 10, 20))
        out.points += len(xs)
        st = styles.get(s.name)
        color = DIM if highlight and s.name != highlight else (st.color if st else colors[index.get(s.like, i)])
        if s.n > 1 and s.lo and s.hi and not (highlight and s.name != highlight):
            out.ops += _band(s, band, logx, out.logy, smoothing, width, color)
        if s.points or len(xs) == 1:
            out.ops.append(("scatter", (xs, ys), {"marker": "dot", "color": color}))
        else:
            marker = MARKERS[st.dash % len(MARKERS)] if st else "braille"
            out.ops.append(("plot", (xs, ys), {"marker": marker, "color": color}))
    out.ops += [("vline", (x,), {"color": DIM}) for x, _ in fig.vlines if not logx or x > 0]
    out.ops += [("hline", (y,), {"color": DIM}) for y, _ in fig.hlines if not out.logy or y > 0]
    # plotext writes the y label from the left and centres the x label on the same line, and
    # drops the x label where the two meet: the y label gives way
    room = max((width - len(fig.xlabel)) // 2 - 2, 6)
    ylabel = fig.ylabel if len(fig.ylabel) <= room else fig.ylabel[: room - 1] + "…"
    out.ops += [("xlabel", (fig.xlabel,), {}), ("ylabel", (ylabel,), {})]
    xs_all = [x for *_, xs, _ in drawn for x in xs]
    if fig.xticks:  # the figure's own (e.g. 're-rand.' left of the checkpoint epochs), as many as fit
        ticks = spread([x for x, _ in fig.xticks], max(width // 8, 2))
        labels = dict(fig.xticks)
        out.ops.append(("xticks", (ticks, [labels[t] for t in ticks]), {}))
    elif xs_all:  # round ticks (100, 1k, 10k; 0, 500, 1000) instead of plotext's 214.0, 317.5, ...
        ticks = log_ticks(min(xs_all), max(xs_all)) if logx else nice_ticks(min(xs_all), max(xs_all))
        if len(ticks) >= 2:
            out.ops.append(("xticks", (ticks, [short_number(t) for t in ticks]), {}))
    ys_all = [y for *_, ys in drawn for y in ys]
    banded = [y for op in out.ops if op[0] == "plot" for y in op[1][1]]
    lines = [y for y, _ in fig.hlines]
    if ys_all and min(ys_all) == max(ys_all) and all(y == ys_all[0] for y in banded + lines):
        # one value everywhere (every run at 100 % train accuracy): plotext would pad it by half
        # (an accuracy axis from 50 to 150 %); one tick at the value, a hair of room either side
        c = ys_all[0]
        room = abs(c) * 0.01 or 1e-3
        out.ops += [("ylim", (c - room, c + room), {}), ("yticks", ([c], [short_number(c)]), {})]
    elif out.logy:  # 1e-08 rather than 0.00000001000 (plotext prints log ticks as long decimals)
        ticks = log_ticks(min(ys_all), max(ys_all))
        if len(ticks) >= 2:
            out.ops.append(("yticks", (ticks, [short_number(t) for t in ticks]), {}))
    out.ops += [("xscale", ("log" if logx else "linear",), {}), ("yscale", ("log" if out.logy else "linear",), {})]
    return out


def _band(s: Series, kind: str, logx: bool, logy: bool, smoothing: float, width: int, color) -> list:
    """The band's edges over seeds as two faint lines in the series' colour (plotext cannot fill
    between curves); drawn before the mean so the mean stays on top."""
    faint = tuple(round(c * 0.45 + 40) for c in color)
    ops = []
    b = s.band(kind)
    for edge in b[:2] if b else ():
        xs, ys = _keep(*finite(s.x, edge), logx, logy)
        if len(xs) > 1:
            ys = ema(ys, smoothing) if smoothing and not s.points else ys
            ops.append(("plot", downsample(xs, ys, max(width - 10, 20)), {"marker": "braille", "color": faint}))
    return ops


def nice_ticks(lo: float, hi: float, most: int = 6) -> list[float]:
    """Round ticks for a linear axis: multiples of 1, 2 or 5 times a power of ten within [lo, hi]."""
    if not hi > lo:
        return []
    for k in range(math.floor(math.log10((hi - lo) / most)), math.ceil(math.log10(hi - lo)) + 1):
        for m in (1, 2, 5):
            step = m * 10.0**k
            first = math.ceil(lo / step - 1e-9)
            ticks = [round((first + j) * step, 12) for j in range(int((hi - lo) / step + 1e-9) + 2)]
            ticks = [t for t in ticks if lo - 1e-9 * step <= t <= hi + 1e-9 * step]
            if len(ticks) <= most:
                return ticks
    return [lo, hi]


def spread(ticks: list[float], most: int) -> list[float]:
    """At most `most` of the ticks, the first and last kept, none closer than an even share."""
    if len(ticks) <= most or len(ticks) < 3:
        return ticks
    gap = (ticks[-1] - ticks[0]) / most
    out = [ticks[0]]
    for t in ticks[1:-1]:
        if t - out[-1] >= gap and ticks[-1] - t >= gap:
            out.append(t)
    return [*out, ticks[-1]]


def decades(lo: float, hi: float) -> list[float]:
    """Powers of ten from lo to hi."""
    if lo <= 0 or hi <= 0:
        return []
    return [10.0**k for k in range(math.ceil(math.log10(lo) - 1e-9), math.floor(math.log10(hi) + 1e-9) + 1)]


def log_ticks(lo: float, hi: float) -> list[float]:
    """Round ticks for a log axis: powers of ten, or 1-2-5 steps where the range spans too few
    decades for those to say much; at most six."""
    ticks = decades(lo, hi)
    if len(ticks) < 3 and lo > 0:
        k0 = math.floor(math.log10(lo))
        ticks = [m * 10.0**k for k in range(k0, k0 + 4) for m in (1, 2, 5) if lo <= m * 10.0**k <= hi]
    return thin(ticks)


def thin(ticks: list[float], most: int = 6) -> list[float]:
    """Every k-th tick so that at most `most` remain (the first and last decades kept in view)."""
    step = max(1, math.ceil(len(ticks) / most))
    return ticks[::step]


def short_number(v: float) -> str:
    """1000 -> '1k', 1e6 -> '1M', 0.01 -> '0.01'."""
    for div, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(v) >= div:
            return f"{v / div:g}{suffix}"
    return f"{v:g}"


def apply(plt, ops: list[tuple[str, tuple, dict]]) -> None:
    """Start plotext's figure afresh and make the planned calls (its build rewrites its own
    data on log axes, so a figure is never built twice from the same data)."""
    plt.clear_data()
    plt.clear_figure()
    for name, args, kw in ops:
        getattr(plt, name)(*args, **kw)


class FigureChart(PlotextPlot):
    """Draws a study `Figure`: several series, log axes, reference lines, one highlighted series."""

    DEFAULT_CSS = "FigureChart { min-height: 4; }"

    def __init__(self, **kw):
        super().__init__(**kw)
        self.figure: Figure | None = None
        self.series_styles: dict[str, Style] = {}
        self.smoothing = 0.0
        self.flip_logy = False  # `l`: log y on a linear figure, linear on a log one
        self.highlight: str | None = None  # a series name drawn on top in colour, the rest dimmed
        self.plan = Plan()
        self.failures: list[str] = []  # plotext errors caught while rendering (tests assert none)
        self.empty_text = "no data yet"
        self.numbers = False  # a heatmap prints its values in its cells (`n`)
        self.band = "ci"  # the seed band's kind (core/bands.py; `b` cycles it)
        self._built = None  # (size and theme, Text) of the last build
        self._state = None  # what the current plan was made from

    @property
    def message(self) -> str | None:
        return self.plan.message

    @property
    def note(self) -> str:
        return self.plan.note

    @property
    def points_drawn(self) -> int:
        return self.plan.points

    def show(self, figure: Figure | None, styles: dict[str, Style] | None = None) -> None:
        self.figure, self.series_styles = figure, styles or {}
        styles = tuple(sorted(self.series_styles.items()))
        state = (figure, styles, self.smoothing, self.flip_logy, self.highlight, self.numbers, self.band)
        if state != self._state:  # the same picture is not rebuilt (keys stay quick under load)
            self._state = state
            self.replot()

    @property
    def logy(self) -> bool:
        return bool(self.figure and self.figure.ylog) != self.flip_logy

    def color_of(self, i: int, s: Series):
        st = self.series_styles.get(s.name)
        return st.color if st else series_colors(i + 1)[i]

    def replot(self) -> None:
        self.plan = plan(
            self.figure,
            self.size.width,
            self.series_styles,
            self.smoothing,
            self.logy,
            self.highlight,
            self.empty_text,
            self.band,
        )
        self._built = None
        self.refresh()

    def render(self):
        if self.figure is not None and self.figure.is_heatmap:
            return render_heatmap(self.figure, self.size.width, self.numbers, self.size.height)
        if self.plan.message:
            return Text(self.plan.message, style="dim", justify="center")
        key = (self.size, self.app.theme)
        if self._built is not None and self._built[0] == key:
            return self._built[1]
        try:
            apply(self.plt, self.plan.ops)
            text = super().render()
        except Exception as e:  # plotext has edge cases of its own; show them, never crash the app
            self.failures.append(f"{type(e).__name__}: {e} ({self.figure and self.figure.title})")
            self.log.error("chart failed", self.figure and self.figure.title, e)
            return Text(f"cannot draw this chart ({type(e).__name__}: {e})", style="red", justify="center")
        self._built = (key, text)
        return text

    def on_resize(self) -> None:
        self.replot()  # downsampling follows the width


class ChartPanel(Vertical):
    """A bordered chart with its title, a status line (log, smoothing) and a legend below."""

    DEFAULT_CSS = """
    ChartPanel { border: round $panel; height: 1fr; width: 1fr; padding: 0;
        border-title-color: $text; border-title-style: bold; border-subtitle-color: $text-muted; }
    ChartPanel FigureChart { height: 1fr; }
    ChartPanel Legend { height: auto; max-height: 6; }
    """

    def __init__(self, empty_text: str = "no data yet", **kw):
        super().__init__(**kw)
        self.empty_text = empty_text

    def compose(self) -> ComposeResult:
        chart = FigureChart()
        chart.empty_text = self.empty_text
        yield chart
        yield Legend()

    @property
    def chart(self) -> FigureChart:
        return self.query_one(FigureChart)

    def on_resize(self) -> None:
        for legend in self.query(Legend):
            legend.reflow()  # a taller panel has room for a longer legend

    def show(self, figure: Figure | None, styles: dict[str, Style] | None = None, hint: str = "") -> None:
        chart = self.chart
        chart.show(figure, styles)
        title = figure.title if figure else ""
        if self.border_title != title:
            self.border_title = title
        drawn = figure is not None and not chart.message
        flags = [f for f in ("log y" if chart.logy and not chart.note else "", chart.note) if f and drawn]
        if chart.smoothing and figure and any(not s.points for s in figure.series):
            flags.append(f"EMA {chart.smoothing:g}")
        subtitle = " · ".join([*flags, hint] if hint else flags)
        if self.border_subtitle != subtitle:
            self.border_subtitle = subtitle
        self.query_one(Legend).show(figure, chart, styles or {})


def curves_figure(runs, metric_index: int, x: str = "step") -> Figure:
    """Per-run curves of one metric (the pane's live chart) as a Figure: one series per set of
    replicates, named by its label without the seed (the mean, with a band and n, over seeds)."""

    kind, key, title = METRICS[metric_index % len(METRICS)]
    return Figure(key, title.capitalize(), x, key.replace("_", " "), series_of(runs, kind, key, x))
