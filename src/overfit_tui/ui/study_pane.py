"""A study pane: presets and the parameter form on the left, live charts in the center,
the group's runs at the bottom. Keys: m cycles the curve metric, f the study figure,
s toggles EMA smoothing, l log-scale, g the group shown, n a heatmap's numbers."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, DataTable, Label, OptionList, Static
from textual.widgets.option_list import Option

from overfit_tui.core.presets import Preset
from overfit_tui.studies import get_study
from overfit_tui.studies.base import Figure, Table
from overfit_tui.ui.cache import RunCache
from overfit_tui.ui.charts import METRICS, FigureChart, curves_figure
from overfit_tui.ui.run_table import RunTable
from overfit_tui.ui.spec_form import SpecForm


class StudyPane(Vertical):
    """One pane per study family (e.g. randomization + regularization)."""

    BINDINGS = [
        Binding("m", "cycle_metric", "Metric"),
        Binding("f", "cycle_figure", "Figure"),
        Binding("s", "toggle_smoothing", "Smooth"),
        Binding("l", "toggle_log", "Log y"),
        Binding("g", "cycle_group", "Group"),
        Binding("n", "toggle_numbers", "Numbers"),
    ]

    DEFAULT_CSS = """
    StudyPane #left { width: 34; border-right: tall $panel; }
    StudyPane #presets { height: auto; max-height: 10; }
    StudyPane #center { width: 1fr; }
    StudyPane #charts { height: 1fr; min-height: 10; }
    StudyPane #group-title { height: 1; color: $text-muted; }
    StudyPane RunTable { height: 11; }
    StudyPane #figure-table { width: 1fr; height: 1fr; border: round $panel; }
    StudyPane Button { width: 100%; }
    """

    class Launch(Message):
        def __init__(self, pane: StudyPane, preset: Preset, group):
            super().__init__()
            self.pane, self.preset, self.group = pane, preset, group

    def __init__(
        self, pane: str, studies: tuple[str, ...], presets: list[Preset], cache: RunCache, marked: set[str], **kw
    ):
        super().__init__(**kw)
        self.pane_name, self.studies, self.presets, self.cache, self.marked = pane, studies, presets, cache, marked
        self.metric = 0
        self.figure_index = 0
        self.group_index = 0
        self.smoothing = 0.0

    def compose(self) -> ComposeResult:
        with Horizontal():
            with Vertical(id="left"):
                yield Label("[b]Presets[/b]  (enter: run)")
                yield OptionList(*(Option(f"{p.name}", id=p.name) for p in self.presets), id="presets")
                yield SpecForm(id="form")
                yield Button("Run  ⏎", id="run", variant="primary")
            with Vertical(id="center"):
                with Horizontal(id="charts"):
                    yield FigureChart(id="curves")
                    yield FigureChart(id="figure")
                    yield DataTable(id="figure-table", zebra_stripes=True)
                yield Static("", id="group-title")
                yield RunTable(self.marked, id="runs")

    def on_mount(self) -> None:
        if self.presets:
            self.select_preset(self.presets[0].name)

    def select_preset(self, name: str) -> None:
        ol = self.query_one("#presets", OptionList)
        for i, p in enumerate(self.presets):
            if p.name == name:
                ol.highlighted = i
                self.query_one(SpecForm).load(p)

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        p = next(p for p in self.presets if p.name == event.option.id)
        if self.query_one(SpecForm).preset is not p:
            self.query_one(SpecForm).load(p)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.launch()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "run":
            self.launch()

    def launch(self) -> None:
        form = self.query_one(SpecForm)
        group = form.group()
        if group is not None and form.preset is not None:
            self.post_message(self.Launch(self, form.preset, group))

    # -- live view -------------------------------------------------------------
    def current_group(self) -> str | None:
        groups = self.cache.groups(self.studies)
        return groups[self.group_index % len(groups)] if groups else None

    def show_group(self, group_id: str) -> None:
        groups = self.cache.groups(self.studies)
        if group_id in groups:
            self.group_index = groups.index(group_id)
        self.redraw()

    def redraw(self) -> None:
        gid = self.current_group()
        records = self.cache.runs(group=gid) if gid else []
        records.sort(key=lambda r: r.get("index", 0))
        runs = self.cache.run_data(records)
        n_groups = len(self.cache.groups(self.studies))
        title = (
            f"group {gid} ({self.group_index % max(n_groups, 1) + 1}/{n_groups}, g: next)"
            if gid
            else "no runs yet: pick a preset and press enter"
        )
        self.query_one("#group-title", Static).update(title)
        curves = self.query_one("#curves", FigureChart)
        curves.smoothing = self.smoothing
        figs = self._figures(records, runs)
        shown = figs[self.figure_index % len(figs)] if figs else None
        left = curves_figure(runs, self.metric)
        plots = [f for f in figs if isinstance(f, Figure) and f is not shown]
        if not left.series and plots:  # closed-form studies log no curves: show another figure there
            left = plots[self.figure_index % len(plots)]
        curves.show(left)
        fig_chart = self.query_one("#figure", FigureChart)
        table = self.query_one("#figure-table", DataTable)
        is_table = isinstance(shown, Table)
        fig_chart.display, table.display = not is_table, is_table
        if is_table:
            table.clear(columns=True)
            table.add_columns(*shown.columns)
            table.add_rows([[shown.cell(i, j) for j in range(len(row))] for i, row in enumerate(shown.rows)])
            table.border_title = shown.title
        else:
            fig_chart.show(shown)
        self.query_one(RunTable).show(records, self.cache)

    def _figures(self, records, runs) -> list[Figure | Table]:
        if not records:
            return []
        study = get_study(records[0]["study"])
        figs = [f for f in study.figures(runs) if f.key != "loss"]
        heatmaps = [f for f in figs if f.is_heatmap]  # a study's heatmap is its main picture: shown first
        return [*heatmaps, *study.tables(runs), *(f for f in figs if not f.is_heatmap)]

    # -- actions ---------------------------------------------------------------
    def action_cycle_metric(self) -> None:
        self.metric = (self.metric + 1) % len(METRICS)
        self.redraw()

    def action_cycle_figure(self) -> None:
        self.figure_index += 1
        self.redraw()

    def action_toggle_smoothing(self) -> None:
        self.smoothing = 0.0 if self.smoothing else 0.8
        self.notify(f"EMA smoothing {'on (0.8)' if self.smoothing else 'off'}")
        self.redraw()

    def action_toggle_log(self) -> None:
        for c in self.query(FigureChart):
            c.logy = not c.logy
        self.redraw()

    def action_toggle_numbers(self) -> None:
        for c in self.query(FigureChart):
            c.numbers = not c.numbers
        self.redraw()

    def action_cycle_group(self) -> None:
        self.group_index += 1
        self.redraw()
