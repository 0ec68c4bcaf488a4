"""Chart widgets over textual-plotext: each keeps its own data and replots on demand
(clear_data, plot, refresh), downsampled to its width, at most a few times a second.
A heatmap figure is drawn as coloured cells instead (ui/heatmap.py)."""

from __future__ import annotations

from textual_plotext import PlotextPlot

from overfit_tui.studies.base import Figure
from overfit_tui.ui.heatmap import render_heatmap
from overfit_tui.ui.series import downsample, ema, finite

METRICS = [
    ("step", "train_loss", "training loss (every log step)"),
    ("eval", "train_acc", "train accuracy"),
    ("eval", "test_acc", "test accuracy"),
    ("eval", "test_loss", "test loss"),
]


class FigureChart(PlotextPlot):
    """Draws a study `Figure` (several series, optional log axes and marker lines)."""

    DEFAULT_CSS = "FigureChart { min-height: 8; }"

    def __init__(self, **kw):
        super().__init__(**kw)
        self.figure: Figure | None = None
        self.smoothing = 0.0
        self.logy = False
        self.numbers = False  # a heatmap prints its values in the cells
        self.points_drawn = 0

    def show(self, figure: Figure | None) -> None:
        self.figure = figure
        self.replot()

    def replot(self) -> None:
        plt = self.plt
        plt.clear_data()
        plt.clear_figure() if hasattr(plt, "clear_figure") else None
        fig = self.figure
        self.points_drawn = 0
        if fig is None or fig.is_heatmap:  # a heatmap is drawn by render(), not plotext
            plt.title("no data yet")
            self.refresh()
            return
        width = max(self.size.width - 10, 20)
        plt.title(fig.title)
        plt.xlabel(fig.xlabel)
        plt.ylabel(fig.ylabel)
        logx = fig.xlog
        logy = fig.ylog or self.logy
        for s in fig.series:
            xs, ys = finite(s.x, s.y)
            if logx:
                xs, ys = zip(*[(x, y) for x, y in zip(xs, ys) if x > 0]) if any(x > 0 for x in xs) else ([], [])
            if logy:
                xs, ys = zip(*[(x, y) for x, y in zip(xs, ys) if y > 0]) if any(y > 0 for y in ys) else ([], [])
            xs, ys = list(xs), list(ys)
            if not xs:
                continue
            ys = ema(ys, self.smoothing) if self.smoothing and not s.points else ys
            xs, ys = downsample(xs, ys, width)
            self.points_drawn += len(xs)
            label = s.name[:24] if len(fig.series) <= 6 else None  # a legend of many lines hides the plot
            if s.points or len(xs) == 1:
                plt.scatter(xs, ys, label=label, marker="dot")
            else:
                plt.plot(xs, ys, label=label, marker="braille")
        for x, _ in fig.vlines:
            if not logx or x > 0:
                plt.vline(x)
        plt.xscale("log" if logx else "linear")
        plt.yscale("log" if logy else "linear")
        self.refresh()

    def render(self):
        if self.figure is not None and self.figure.is_heatmap:
            return render_heatmap(self.figure, self.size.width, self.numbers, self.size.height)
        return super().render()

    def on_resize(self) -> None:
        self.replot()


def curves_figure(runs, metric_index: int, x: str = "step") -> Figure:
    """Per-run curves of one metric (the pane's live chart) as a Figure."""
    from overfit_tui.studies.replicates import series_of

    kind, key, title = METRICS[metric_index % len(METRICS)]
    return Figure(key, title, x, key.replace("_", " "), series_of(runs, kind, key, x))
