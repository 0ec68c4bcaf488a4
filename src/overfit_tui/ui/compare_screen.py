"""Compare screen: every marked run's curve on one axis (whatever its group), named by its
label plus what differs, coloured by condition with a line style per model or setting;
aligned by step, epoch or wall time, optional smoothing; a summary table that drops whole
low-priority columns rather than cut a number, the best value per column in bold; the
spec diff; `e` exports CSV, JSON, Markdown and the figures (SVG and PNG) in the background.

Three views (`v`): the curves; any metric against any setting (`y` picks the summary field,
`x` the spec key that varies, `b` the seed band: mean ± 95 % CI, s.e., s.d. or min-max per x);
and the hparams table of the marked runs (one row per run: the varying spec keys and the
summary fields; `o` sorts by the next column, `O` reverses, a click on a header sorts by it).
The export writes the current metric-vs-setting figure and the hparams table too."""

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

from overfit_tui.core.bands import KINDS
from overfit_tui.export.compare import ALIGN, Comparison
from overfit_tui.export.formats import write
from overfit_tui.export.style import run_styles
from overfit_tui.export.sweep import (
    default_metric,
    hparams,
    hparams_csv,
    hparams_markdown,
    metric_fields,
    setting_keys,
    sweep_figure,
)
from overfit_tui.studies.base import Figure, Series
from overfit_tui.ui.cache import RunCache
from overfit_tui.ui.charts import METRICS, ChartPanel
from overfit_tui.ui_text import middle

VIEWS = ("curves", "metric vs setting", "hparams table")


def export_all(c: Comparison, folder: Path, sweep: tuple[str, str, str] | None = None) -> list[Path]:
    """CSV, JSON, Markdown and every figure as SVG and PNG, into `folder`; the hparams table
    (CSV, Markdown) and, given `sweep` = (summary field, spec key, band kind), that
    metric-vs-setting figure (SVG, PNG)."""
    from overfit_tui.export.plot import draw, slug

    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for fmt in ("csv", "json", "md", "svg", "png"):
        paths += write(c, fmt, folder / f"comparison.{fmt}")
    h = hparams(c)
    for fmt, text in (("csv", hparams_csv(h)), ("md", hparams_markdown(h))):
        paths.append(folder / f"comparison-hparams.{fmt}")
        paths[-1].write_text(text)
    fields = {f.key: f for f in metric_fields(c)}
    if sweep and sweep[0] in fields and sweep[1] in setting_keys(c.records):
        sw = sweep_figure(c, fields[sweep[0]], sweep[1], sweep[2])
        groups = sorted({r.group for r in c.records})
        sub = f"{sw.runs_used} runs of {', '.join(groups)}" if len(groups) <= 2 else f"{sw.runs_used} runs"
        for fmt in ("svg", "png"):
            name = f"comparison-sweep-{slug(sweep[0])}-vs-{slug(sweep[1])}.{fmt}"
            paths.append(draw(sw.figure, folder / name, None, sub, band=sweep[2]))
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


NAME_W = 44  # the run column's widest: a longer name is cut in the middle with "…", never silently


class CompareScreen(Screen):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("v", "view", "View"),
        Binding("m", "metric", "Metric"),
        Binding("y", "y_field", "y: field"),
        Binding("x", "x_key", "x: setting"),
        Binding("a", "align", "Align x"),
        Binding("s", "smooth", "Smooth", show=False),
        Binding("l", "log", "Log y", show=False),
        Binding("b", "band", "Band", show=False),
        Binding("o", "sort", "Sort", show=False),
        Binding("O", "sort_reverse", "Reverse sort", show=False),
        Binding("e", "export", "Export"),
    ]
    DEFAULT_CSS = """
    CompareScreen #chart { height: 1fr; min-height: 10; }
    CompareScreen #summary { height: auto; max-height: 12; }
    CompareScreen #hidden { height: auto; color: $text-muted; padding: 0 1; }
    CompareScreen #diff { height: auto; max-height: 6; color: $text-muted; padding: 0 1; }
    CompareScreen.short #summary { max-height: 6; }
    CompareScreen.short #diff { max-height: 2; }
    CompareScreen #hparams { height: 1fr; display: none; }
    CompareScreen.hparams #hparams { display: block; }
    CompareScreen.hparams #chart, CompareScreen.hparams #summary, CompareScreen.hparams #hidden { display: none; }
    CompareScreen.sweep #summary, CompareScreen.sweep #hidden { display: none; }
    CompareScreen.sweep #diff, CompareScreen.hparams #diff { display: none; }
    """

    def __init__(self, cache: RunCache, run_ids: list[str], export_dir: Path):
        super().__init__()
        self.cache, self.run_ids, self.export_dir = cache, run_ids, export_dir
        self.metric, self.align_i, self.smoothing, self.flip_log = 0, 0, 0.0, False
        self._table_state = None
        self.view = 0  # index in VIEWS
        self.y_key: str | None = None  # the metric-vs-setting view's summary field (None: a test metric)
        self.x_key: str | None = None  # its spec key (None: the first that varies)
        self.band_kind = KINDS[0]
        self.sort_col, self.sort_reverse = 3, False  # the first spec key that varies (the run id without one)
        self._hparams_state = None

    def comparison(self) -> Comparison:
        recs = [self.cache.records[i] for i in self.run_ids if i in self.cache.records]
        return Comparison(recs, {r.id: self.cache.events.get(r.id, []) for r in recs})

    def compose(self) -> ComposeResult:
        yield Header(icon="●")  # Textual's ⭘ has no glyph in common browser fonts (the served page)
        yield ChartPanel("no curves: these runs log none", id="chart")
        yield DataTable(id="summary", zebra_stripes=True, cursor_type="none")
        yield Static("", id="hidden")
        yield DataTable(id="hparams", zebra_stripes=True, cursor_type="none")
        with VerticalScroll(id="diff"):
            yield Static("", id="diff-text")
        yield Footer()

    def on_mount(self) -> None:
        self.redraw()

    def on_resize(self) -> None:
        self.set_class(self.size.height < 30, "short")  # 80x24: the chart keeps its 10 lines
        self._table_state = None
        self.redraw()

    def redraw(self) -> None:
        c = self.comparison()
        self.set_class(self.view == 1, "sweep")  # the figure takes the screen: the table view has the numbers
        self.set_class(self.view == 2, "hparams")
        if self.view == 1:
            self._sweep(c)
        elif self.view == 2:
            self._hparams(c)
        else:
            self._curves(c)
        if self.view == 0:
            self._summary(c, dict(zip((r.id for r in c.records), c.names)))
        diff = c.diff
        lines = ["[b]spec diff[/b] (only keys that differ)"] + [
            f"{k}: " + " | ".join(str(v) for v in vals) for k, vals in diff.items()
        ]
        self.query_one("#diff-text", Static).update("\n".join(lines) if diff else "the runs share one spec")

    def _curves(self, c: Comparison) -> None:
        self.query_one("#chart", ChartPanel).chart.empty_text = "no curves: these runs log none"
        kind, key, title = METRICS[self.metric]
        align = ALIGN[self.align_i]
        names = dict(zip((r.id for r in c.records), c.names))
        by_id = run_styles(c.records)
        series, styles = [], {}
        for r in c.records:
            xs, ys = c.curve(r.id, kind, key, align)
            if xs:
                series.append(Series(names[r.id], tuple(xs), tuple(ys)))
                styles[names[r.id]] = by_id[r.id]
        panel = self.query_one("#chart", ChartPanel)
        panel.chart.smoothing, panel.chart.flip_logy = self.smoothing, self.flip_log
        groups = c.groups()
        head = f"{title.capitalize()} vs {align}" + (f" · {len(groups)} groups" if len(groups) > 1 else "")
        panel.show(Figure(key, head, align, key.replace("_", " "), tuple(series)), styles, "v m a s l e")
        self.sub_title = f"{len(c.records)} runs · x: {align} · smoothing {'on' if self.smoothing else 'off'}"

    def sweep_choice(self, c: Comparison) -> tuple[list, int, list[str], int]:
        """(metric fields, index of y, setting keys, index of x): the picks, kept while they exist."""
        fields, keys = metric_fields(c), setting_keys(c.records)
        fkeys = [f.key for f in fields]
        yi = fkeys.index(self.y_key) if self.y_key in fkeys else default_metric(fields)
        xi = keys.index(self.x_key) if self.x_key in keys else 0
        return fields, yi, keys, xi

    def _sweep(self, c: Comparison) -> None:
        panel = self.query_one("#chart", ChartPanel)
        panel.chart.smoothing, panel.chart.flip_logy = 0.0, self.flip_log
        panel.chart.band = self.band_kind  # the kind the title names (the pane's may differ)
        fields, yi, keys, xi = self.sweep_choice(c)
        if not fields or not keys:
            why = "no spec key varies between these runs" if not keys else "no run reports a number yet"
            panel.chart.empty_text = f"metric vs setting: {why}"
            panel.show(None, None, "v y x b l e")
            self.sub_title = f"{len(c.records)} runs · metric vs setting: {why}"
            return
        sw = sweep_figure(c, fields[yi], keys[xi], self.band_kind)
        panel.show(sw.figure, None, "v y x b l e")
        left = f" · {sw.runs_left} without a value" if sw.runs_left else ""
        self.sub_title = (
            f"{sw.runs_used} runs · y: {fields[yi].label} ({yi + 1}/{len(fields)}) · "
            f"x: {keys[xi]} ({xi + 1}/{len(keys)}) · band: {self.band_kind}{left}"
        )

    def _hparams(self, c: Comparison) -> None:
        h = hparams(c, self.sort_col, self.sort_reverse)
        self.sort_col = min(self.sort_col, len(h.headers) - 1)
        state = (self.sort_col, self.sort_reverse, tuple(map(tuple, h.cells)))
        if state != self._hparams_state:
            self._hparams_state = state
            table = self.query_one("#hparams", DataTable)
            table.clear(columns=True)
            arrow = " ▼" if self.sort_reverse else " ▲"
            for j, head in enumerate(h.headers):
                table.add_column(
                    head + (arrow if j == self.sort_col else ""),
                    width=min(40, max(len(head) + 2, *(len(row[j]) for row in h.cells))) if h.cells else None,
                )
            table.add_rows(
                [
                    [Text(middle(v, 40), no_wrap=True, justify="left" if j < 3 else "right") for j, v in enumerate(row)]
                    for row in h.cells
                ]
            )
        self.sub_title = (
            f"{len(h.cells)} runs · hparams table · sorted by {h.headers[self.sort_col]}"
            f"{' (reversed)' if self.sort_reverse else ''} · o: next column, O: reverse"
        )

    def _summary(self, c: Comparison, names: dict[str, str]) -> None:
        fields = c.fields()
        best = c.best()
        rows = []
        for i, (r, row) in enumerate(zip(c.records, c.summary_cells())):
            cells = [
                Text(txt, justify="right", style="bold green" if best.get(f.key) == i else "")
                for f, txt in zip(fields, row)
            ]
            rows.append([Text(middle(names[r.id], NAME_W), no_wrap=True), *cells])  # a cut shows as "…"
        headers = ["run", *(f.header for f in fields)]
        name_w = min(NAME_W, max([len(n) for n in names.values()] + [3]))
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

    def action_view(self) -> None:
        self.view = (self.view + 1) % len(VIEWS)
        self.notify(f"view: {VIEWS[self.view]}", timeout=2)
        self.redraw()
        self.set_focus(self.query_one("#hparams") if self.view == 2 else None)  # arrows scroll a wide table

    def action_metric(self) -> None:
        self.metric = (self.metric + 1) % len(METRICS)
        self.redraw()

    def action_y_field(self) -> None:
        """The next summary field for y (from the curves or the table, show the sweep first)."""
        if self.view == 1:
            fields, yi, _, _ = self.sweep_choice(self.comparison())
            if fields:
                self.y_key = fields[(yi + 1) % len(fields)].key
        self.view = 1
        self.redraw()

    def action_x_key(self) -> None:
        if self.view == 1:
            _, _, keys, xi = self.sweep_choice(self.comparison())
            if keys:
                self.x_key = keys[(xi + 1) % len(keys)]
        self.view = 1
        self.redraw()

    def action_band(self) -> None:
        self.band_kind = KINDS[(KINDS.index(self.band_kind) + 1) % len(KINDS)]
        self.redraw()

    def action_sort(self) -> None:
        self.view, self.sort_col = 2, self.sort_col + 1
        if self.sort_col >= len(hparams(self.comparison()).headers):
            self.sort_col = 0
        self.redraw()

    def action_sort_reverse(self) -> None:
        self.view, self.sort_reverse = 2, not self.sort_reverse
        self.redraw()

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        if event.data_table.id == "hparams":
            if event.column_index == self.sort_col:
                self.sort_reverse = not self.sort_reverse
            self.sort_col = event.column_index
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
        c = self.comparison()
        fields, yi, keys, xi = self.sweep_choice(c)
        sweep = (fields[yi].key, keys[xi], self.band_kind) if fields and keys else None
        self._export(c, folder, sweep)

    @work(thread=True, group="export")
    def _export(self, c: Comparison, folder: Path, sweep: tuple[str, str, str] | None = None) -> None:
        try:
            paths = export_all(c, folder, sweep)
        except Exception as e:  # a failed export is reported, never a crash of the screen
            self.app.call_from_thread(self.notify, f"export failed: {e}", severity="error", timeout=15)
            return
        figs = sum(p.suffix in (".svg", ".png") for p in paths)
        self.app.call_from_thread(
            self.notify, f"exported CSV, JSON, Markdown and {figs} figure files to {folder}", timeout=10
        )
