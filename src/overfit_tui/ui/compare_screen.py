"""Compare screen: overlaid curves of the marked runs (legend by what differs), aligned by
step, epoch or wall time, optional smoothing; side-by-side charts for two groups; a summary
table with the best value per column highlighted; the spec diff; export with `e`."""

from __future__ import annotations

import time
from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from overfit_tui.export.compare import ALIGN, Comparison
from overfit_tui.studies.base import Figure, Series
from overfit_tui.ui.cache import RunCache
from overfit_tui.ui.charts import METRICS, FigureChart


def export_all(c: Comparison, folder: Path) -> Path:
    from overfit_tui.export.formats import write

    folder.mkdir(parents=True, exist_ok=True)
    for fmt in ("csv", "json", "md", "svg"):
        write(c, fmt, folder / f"comparison.{fmt}")
    return folder


class CompareScreen(Screen):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("m", "metric", "Metric"),
        Binding("a", "align", "Align x"),
        Binding("s", "smooth", "Smooth"),
        Binding("e", "export", "Export"),
    ]
    DEFAULT_CSS = """
    CompareScreen #charts { height: 1fr; min-height: 12; }
    CompareScreen #summary { height: auto; max-height: 12; }
    CompareScreen #diff { height: auto; max-height: 8; color: $text-muted; padding: 0 1; }
    """

    def __init__(self, cache: RunCache, run_ids: list[str], export_dir: Path):
        super().__init__()
        self.cache, self.run_ids, self.export_dir = cache, run_ids, export_dir
        self.metric, self.align_i, self.smoothing = 0, 0, 0.0

    def comparison(self) -> Comparison:
        recs = [self.cache.records[i] for i in self.run_ids if i in self.cache.records]
        return Comparison(recs, {r["id"]: self.cache.events.get(r["id"], []) for r in recs})

    def compose(self) -> ComposeResult:
        yield Header()
        c = self.comparison()
        with Horizontal(id="charts"):
            for g in c.groups() if len(c.groups()) == 2 else [None]:
                yield FigureChart(classes="cmp", name=g or "")
        yield DataTable(id="summary", zebra_stripes=True)
        with VerticalScroll(id="diff"):
            yield Static("", id="diff-text")
        yield Footer()

    def on_mount(self) -> None:
        self.redraw()

    def redraw(self) -> None:
        c = self.comparison()
        kind, key, title = METRICS[self.metric]
        align = ALIGN[self.align_i]
        names = dict(zip((r["id"] for r in c.records), c.names))
        for chart in self.query(FigureChart):
            recs = [r for r in c.records if not chart.name or r["group"] == chart.name]
            series = []
            for r in recs:
                xs, ys = c.curve(r["id"], kind, key, align)
                if xs:
                    series.append(Series(names[r["id"]], tuple(xs), tuple(ys)))
            head = f"{title} · {chart.name}" if chart.name else title
            chart.smoothing = self.smoothing
            chart.show(Figure(key, head, align, key.replace("_", " "), tuple(series)))
        table = self.query_one("#summary", DataTable)
        table.clear(columns=True)
        cols = c.summary_columns()
        table.add_columns("run", *cols)
        best = c.best()
        for i, (r, row) in enumerate(zip(c.records, c.summary_rows())):
            cells = []
            for j, v in enumerate(row):
                txt = "-" if v is None else (f"{v:.4g}" if isinstance(v, float) else str(v))
                cells.append(Text(txt, style="bold green") if best.get(cols[j]) == i else txt)
            table.add_row(names[r["id"]][:40], *cells)
        diff = c.diff
        lines = ["[b]spec diff[/b] (only keys that differ)"] + [
            f"{k}: " + " | ".join(str(v) for v in vals) for k, vals in diff.items()
        ]
        self.query_one("#diff-text", Static).update("\n".join(lines) if diff else "the runs share one spec")
        self.sub_title = f"{len(c.records)} runs · x: {align} · smoothing {'on' if self.smoothing else 'off'}"

    def action_metric(self) -> None:
        self.metric = (self.metric + 1) % len(METRICS)
        self.redraw()

    def action_align(self) -> None:
        self.align_i = (self.align_i + 1) % len(ALIGN)
        self.redraw()

    def action_smooth(self) -> None:
        self.smoothing = 0.0 if self.smoothing else 0.8
        self.redraw()

    def action_export(self) -> None:
        folder = export_all(self.comparison(), self.export_dir / time.strftime("compare-%Y%m%d-%H%M%S"))
        self.notify(f"exported CSV, JSON, Markdown and SVG to {folder}", timeout=10)
