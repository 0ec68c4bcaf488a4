"""Compare screen: every marked run's curve on one axis (whatever its group), named by its
label plus what differs, coloured by condition with a line style per model or setting;
aligned by step, epoch or wall time, optional smoothing; a summary table that drops whole
low-priority columns rather than cut a number, the best value per column in bold; the
spec diff; `e` exports CSV, JSON, Markdown and the figures (SVG and PNG) in the background."""

from __future__ import annotations

import time
from pathlib import Path

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from overfit_tui.export.compare import ALIGN, Comparison
from overfit_tui.export.formats import write
from overfit_tui.export.style import run_styles
from overfit_tui.studies.base import Figure, Series
from overfit_tui.ui.cache import RunCache
from overfit_tui.ui.charts import METRICS, ChartPanel


def export_all(c: Comparison, folder: Path) -> list[Path]:
    """CSV, JSON, Markdown and every figure as SVG and PNG, into `folder`."""

    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for fmt in ("csv", "json", "md", "svg", "png"):
        paths += write(c, fmt, folder / f"comparison.{fmt}")
    return paths


def fit_columns(widths: list[int], priorities: list[int], width: int) -> list[int]:
    """Indices of the columns kept (the first always, then by priority, declaration order among
    equals) whose widths fit `width`, in their order: whole columns go, never part of a cell."""
    keep, used = [0], widths[0] + 2
    for i in sorted(range(1, len(widths)), key=lambda i: (priorities[i], i)):
        if used + widths[i] + 2 <= width:
            keep.append(i)
            used += widths[i] + 2
    return sorted(keep)


class CompareScreen(Screen):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("m", "metric", "Metric"),
        Binding("a", "align", "Align x"),
        Binding("s", "smooth", "Smooth"),
        Binding("l", "log", "Log y"),
        Binding("e", "export", "Export"),
    ]
    DEFAULT_CSS = """
    CompareScreen #chart { height: 1fr; min-height: 10; }
    CompareScreen #summary { height: auto; max-height: 12; }
    CompareScreen #hidden { height: auto; color: $text-muted; padding: 0 1; }
    CompareScreen #diff { height: auto; max-height: 6; color: $text-muted; padding: 0 1; }
    """

    def __init__(self, cache: RunCache, run_ids: list[str], export_dir: Path):
        super().__init__()
        self.cache, self.run_ids, self.export_dir = cache, run_ids, export_dir
        self.metric, self.align_i, self.smoothing, self.flip_log = 0, 0, 0.0, False
        self._table_state = None

    def comparison(self) -> Comparison:
        recs = [self.cache.records[i] for i in self.run_ids if i in self.cache.records]
        return Comparison(recs, {r["id"]: self.cache.events.get(r["id"], []) for r in recs})

    def compose(self) -> ComposeResult:
        yield Header(icon="●")  # Textual's ⭘ has no glyph in common browser fonts (the served page)
        yield ChartPanel("no curves: these runs log none", id="chart")
        yield DataTable(id="summary", zebra_stripes=True, cursor_type="none")
        yield Static("", id="hidden")
        with VerticalScroll(id="diff"):
            yield Static("", id="diff-text")
        yield Footer()

    def on_mount(self) -> None:
        self.redraw()

    def on_resize(self) -> None:
        self._table_state = None
        self.redraw()

    def redraw(self) -> None:
        c = self.comparison()
        kind, key, title = METRICS[self.metric]
        align = ALIGN[self.align_i]
        names = dict(zip((r["id"] for r in c.records), c.names))
        by_id = run_styles(c.records)
        series, styles = [], {}
        for r in c.records:
            xs, ys = c.curve(r["id"], kind, key, align)
            if xs:
                series.append(Series(names[r["id"]], tuple(xs), tuple(ys)))
                styles[names[r["id"]]] = by_id[r["id"]]
        panel = self.query_one("#chart", ChartPanel)
        panel.chart.smoothing, panel.chart.flip_logy = self.smoothing, self.flip_log
        groups = c.groups()
        head = f"{title.capitalize()} vs {align}" + (f" · {len(groups)} groups" if len(groups) > 1 else "")
        panel.show(Figure(key, head, align, key.replace("_", " "), tuple(series)), styles, "m a s l e")
        self._summary(c, names)
        diff = c.diff
        lines = ["[b]spec diff[/b] (only keys that differ)"] + [
            f"{k}: " + " | ".join(str(v) for v in vals) for k, vals in diff.items()
        ]
        self.query_one("#diff-text", Static).update("\n".join(lines) if diff else "the runs share one spec")
        self.sub_title = f"{len(c.records)} runs · x: {align} · smoothing {'on' if self.smoothing else 'off'}"

    def _summary(self, c: Comparison, names: dict[str, str]) -> None:
        fields = c.fields()
        best = c.best()
        rows = []
        for i, (r, row) in enumerate(zip(c.records, c.summary_cells())):
            cells = [
                Text(txt, justify="right", style="bold green" if best.get(f.key) == i else "")
                for f, txt in zip(fields, row)
            ]
            rows.append([Text(names[r["id"]], no_wrap=True), *cells])
        headers = ["run", *(f.header for f in fields)]
        name_w = min(44, max([len(n) for n in names.values()] + [3]))
        widths = [name_w, *(max(len(h), *(len(row[j + 1].plain) for row in rows)) for j, h in enumerate(headers[1:]))]
        keep = fit_columns(widths, [0, *(f.priority for f in fields)], max(self.size.width - 2, 40))
        state = (tuple(keep), tuple(tuple(x.plain if isinstance(x, Text) else x for x in r) for r in rows))
        if state == self._table_state:
            return
        self._table_state = state
        table = self.query_one("#summary", DataTable)
        table.clear(columns=True)
        for j in keep:
            table.add_column(headers[j], width=widths[j])
        table.add_rows([[row[j] for j in keep] for row in rows])
        hidden = [headers[j] for j in range(len(headers)) if j not in keep]
        self.query_one("#hidden", Static).update(
            f"{len(hidden)} column(s) not shown at this width: {', '.join(hidden)} (wider terminal, or e to export)"
            if hidden
            else ""
        )

    def action_metric(self) -> None:
        self.metric = (self.metric + 1) % len(METRICS)
        self.redraw()

    def action_align(self) -> None:
        self.align_i = (self.align_i + 1) % len(ALIGN)
        self.redraw()

    def action_smooth(self) -> None:
        self.smoothing = 0.0 if self.smoothing else 0.8
        self.redraw()

    def action_log(self) -> None:
        self.flip_log = not self.flip_log
        self.redraw()

    def action_export(self) -> None:
        folder = self.export_dir / time.strftime("compare-%Y%m%d-%H%M%S")
        self.notify(f"exporting to {folder} ...")
        self._export(self.comparison(), folder)

    @work(thread=True, group="export")
    def _export(self, c: Comparison, folder: Path) -> None:
        try:
            paths = export_all(c, folder)
        except Exception as e:  # a failed export is reported, never a crash of the screen
            self.app.call_from_thread(self.notify, f"export failed: {e}", severity="error", timeout=15)
            return
        figs = sum(p.suffix in (".svg", ".png") for p in paths)
        self.app.call_from_thread(
            self.notify, f"exported CSV, JSON, Markdown and {figs} figure files to {folder}", timeout=10
        )
