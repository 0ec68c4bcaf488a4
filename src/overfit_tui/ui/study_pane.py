"""A study pane: presets and the parameter form, live charts, the group's runs.

Wide terminals show the three side by side; below 100 columns the pane shows one view at
a time (form, charts or runs; `v` switches, launching switches to the charts). Keys:
m cycles the curve metric, f the study figure, s toggles EMA smoothing, l log y, b the seed
band (95 % CI, s.e., s.d., min-max), o the run table's columns, g the group shown, n a heatmap's numbers, c the paper's claims checked on the group;
moving the run table's cursor highlights that run's curve. The metric, smoothing, log y, band
and hidden columns are saved per pane (ui/view_settings.py) and come back at the next launch.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Button, DataTable, Label, OptionList, Static
from textual.widgets.option_list import Option

from overfit_tui.core.bands import TITLE, next_kind
from overfit_tui.core.presets import Preset
from overfit_tui.core.records import RunRecord
from overfit_tui.export.style import run_styles
from overfit_tui.studies import get_study
from overfit_tui.studies.base import Figure, Table
from overfit_tui.studies.claims import MARK, evaluate, evidence_text
from overfit_tui.studies.replicates import base_label
from overfit_tui.ui.cache import RunCache
from overfit_tui.ui.charts import METRICS, ChartPanel, FigureChart, curves_figure
from overfit_tui.ui.run_table import RunTable
from overfit_tui.ui.spec_form import SpecForm
from overfit_tui.ui.view_settings import view_settings
from overfit_tui.ui_text import middle

NARROW = 100  # below this width the pane shows one view at a time
PRESET_W = 33  # a preset name's room in the preset list (36 wide, less border and scrollbar)
VIEWS = ("form", "charts", "runs")


def _shown(w) -> bool:
    """Displayed, with every container above it displayed (a narrow pane hides whole views)."""
    return w.display and all(a.display for a in w.ancestors if hasattr(a, "display"))


def fitting_columns(columns, rows: list[list[str]], width: int) -> int:
    """How many leading columns of a table fit in `width` cells whole (a DataTable pads each
    cell by one on both sides); the rest are left out whole rather than cut mid-number. At
    least the first; all when the width is not known yet."""
    if width <= 0:
        return len(columns)
    used, keep = 0, 0
    for j, head in enumerate(columns):
        used += max([len(str(head))] + [len(r[j]) for r in rows if j < len(r)]) + 2
        if used > width and keep:
            break
        keep += 1
    return keep


def default_band() -> str:
    """The settings file's `band` (a bad file was reported where the app started: the default here)."""
    from overfit_tui.core.config import load_config
    from overfit_tui.core.errors import OverfitError

    try:
        return load_config().band
    except OverfitError:
        return "ci"


def needs_gpu(p: Preset) -> bool:
    """What the preset says it was sized for (`device`); else presets on full image data sets
    (MNIST, CIFAR-10) are the papers' GPU setups, and MNIST-1D and synthetic data run on CPU."""
    if "device" in p.raw:
        return p.raw["device"] == "gpu"
    return p.raw.get("data", {}).get("name", "mnist1d") not in ("mnist1d", "gaussian")


CLAIMS = "Claims"


def claims_tables(study, runs) -> list[Table]:
    """The study's paper claims checked on the group's runs, as one table (none without claims)."""
    claims = study.claims()
    if not claims or not runs:
        return []
    rows = tuple(
        (
            MARK[v.status],
            c.text + (" [construction check]" if c.kind == "construction" else ""),
            c.paper or "-",
            v.measured or v.detail,
            c.source,
            evidence_text(c, v),
        )
        for c, v in evaluate(claims, runs)
    )
    title = f"{CLAIMS}: {study.paper.split(':')[0]}"
    return [Table(title, ("", "claim", "paper", "measured", "source", "evidence"), rows)]


def claims_text(table: Table) -> Text:
    """The claims table as one block per claim, wrapped to the panel's width (never cut): the
    verdict and the claim, then the paper's number beside ours, then the evidence."""
    out = Text()
    for i, (mark, claim, paper, measured, source, evidence) in enumerate(table.rows):
        if i:
            out.append("\n\n")
        out.append(f"{mark} ", style=MARK_STYLE.get(mark, ""))
        out.append(claim, style="bold")
        out.append(f" ({source})", style="dim")
        out.append("\n  paper: ", style="dim")
        out.append(paper)
        out.append("\n  ours:  ", style="dim")
        out.append(measured)
        if evidence:
            out.append("\n  evidence: ", style="dim")
            out.append(evidence, style="dim")
    return out


MARK_STYLE = {MARK["holds"]: "bold green", MARK["fails"]: "bold red", MARK["pending"]: "bold yellow"}


class FigureTable(DataTable):
    """A figure's table: fitted to its width again whenever its own size changes (a legend or a
    border arriving a frame later resizes it without resizing the pane)."""

    def on_resize(self) -> None:
        pane = next((a for a in self.ancestors if isinstance(a, StudyPane)), None)
        if pane is not None:
            pane.call_after_refresh(pane.redraw)


class StudyPane(Vertical):
    """One pane per study family (e.g. randomization + regularization)."""

    BINDINGS = [
        Binding("m", "cycle_metric", "Metric"),
        Binding("f", "cycle_figure", "Figure"),
        Binding("s", "toggle_smoothing", "Smooth"),
        Binding("l", "toggle_log", "Log y"),
        Binding("b", "cycle_band", "Band"),
        Binding("o", "columns", "Columns", show=False),
        Binding("g", "cycle_group", "Group"),
        Binding("n", "toggle_numbers", "Numbers", show=False),  # heatmaps only: in the help
        Binding("c", "claims", "Claims", show=False),
        Binding("v", "cycle_view", "View", show=False),
        # tab stops: presets, run table, the figure panel (then the tab bar); the form's fields
        # are one stop away from the presets (e), and tab cycles inside the form
        Binding("tab", "stop(1)", "Next", show=False),
        Binding("shift+tab", "stop(-1)", "Previous", show=False),
        Binding("e", "edit_form", "Edit form", show=False),
        Binding("escape", "leave_form", "Leave form", show=False),  # from Run (a field has its own)
    ]

    DEFAULT_CSS = """
    StudyPane #body { height: 1fr; }
    StudyPane #left { width: 36; border-right: tall $panel; }
    StudyPane #presets { height: auto; max-height: 13; scrollbar-size-vertical: 1; }
    StudyPane #center { width: 1fr; }
    StudyPane #charts { height: 1fr; min-height: 8; }
    StudyPane #group-title { height: 1; color: $text-muted; padding: 0 1; }
    StudyPane RunTable { height: 11; }
    StudyPane #figure-table { width: 1fr; height: 1fr; border: round $panel; }
    StudyPane #claims-view { width: 1fr; height: 1fr; border: round $panel; padding: 0 1; display: none; }
    StudyPane #figure-table:focus, StudyPane #claims-view:focus { border: round $accent; }
    StudyPane #presets:focus { background: $accent 10%; }
    StudyPane #presets:focus > .option-list--option-highlighted { background: $accent; text-style: bold; }
    StudyPane RunTable:focus { background: $accent 8%; }
    StudyPane Button:focus { text-style: bold reverse; }
    StudyPane Button { width: 100%; }
    StudyPane #views { display: none; height: 1; padding: 0 1; background: $panel; }
    StudyPane.-narrow #views { display: block; }
    StudyPane.-narrow #left { width: 1fr; border-right: none; }
    StudyPane.-narrow #presets { max-height: 8; }
    """

    class Launch(Message):
        def __init__(self, pane: StudyPane, preset: Preset, group):
            super().__init__()
            self.pane, self.preset, self.group = pane, preset, group

    def __init__(
        self,
        pane: str,
        studies: tuple[str, ...],
        presets: list[Preset],
        cache: RunCache,
        marked: set[str],
        has_gpu: bool = False,
        **kw,
    ):
        super().__init__(**kw)
        self.pane_name, self.studies, self.presets, self.cache, self.marked = pane, studies, presets, cache, marked
        self.has_gpu = has_gpu
        self.metric = 0
        self.figure_index = 0
        self.group_index = 0
        self.smoothing = 0.0
        self.flip_log = False
        self.band = default_band()  # the seed band's kind (core/bands.py), from the settings file
        self.highlight: str | None = None  # run id picked out in the curves
        self.view = "form"  # narrow terminals: the form until the pane has runs, then the charts
        self.view_chosen = False  # once the user picks a view, it stays
        self._texts: dict[str, object] = {}
        self._table_shown = None
        self.start_preset: str | None = None  # selected at mount instead of the first (the app's --preset)

    def compose(self) -> ComposeResult:
        yield Static("", id="views")
        with Horizontal(id="body"):
            with Vertical(id="left"):
                yield Label("[b]Presets[/b]  (enter: run)")
                yield OptionList(*self._options(), id="presets")
                yield SpecForm(id="form")
                yield Button("Run  ⏎", id="run", variant="primary")
            with Vertical(id="center"):
                with Horizontal(id="charts"):
                    yield ChartPanel("the runs' curves appear here", id="curves")
                    yield ChartPanel("the study's figures appear here", id="figure")
                    yield FigureTable(id="figure-table", zebra_stripes=True, cursor_type="none")
                    with VerticalScroll(id="claims-view"):
                        yield Static("", id="claims-text")
                yield Static("", id="group-title")
                yield RunTable(self.marked, id="runs")

    def _options(self) -> list:
        """Yours first (as `overfit-tui presets` lists them), then the CPU presets, then the papers'
        GPU setups, each group under its own heading."""
        # one line each, cut in the middle where too long (the end tells presets apart): a
        # name wrapped mid-word read as two presets
        shipped = [p for p in self.presets if not p.mine]
        cpu = [Option(middle(p.name, PRESET_W), id=p.name) for p in shipped if not needs_gpu(p)]
        gpu = [Option(middle(p.name, PRESET_W), id=p.name) for p in shipped if needs_gpu(p)]
        mine = [Option(middle(p.name, PRESET_W), id=p.name) for p in self.presets if p.mine and not p.error]
        head = "[dim]paper setups (GPU)[/]" if self.has_gpu else "[dim]paper setups (need a GPU)[/]"
        return [
            *([Option("[dim]your presets[/]", disabled=True), *mine, None] if mine else []),
            *cpu,
            *([None, Option(head, disabled=True), *gpu] if gpu else []),
        ]

    def on_mount(self) -> None:
        self._restore_view()
        self.set_view(self.view)
        if self.presets:
            cpu = [p for p in self.presets if not needs_gpu(p)]
            self.select_preset(self.start_preset or (self.presets if self.has_gpu or not cpu else cpu)[0].name)

    def _restore_view(self) -> None:
        """The metric, smoothing, log y, band and hidden columns this pane had at the last quit."""
        v = view_settings(self.app).get(self.pane_name)
        keys = [key for _, key, _ in METRICS]
        self.metric = keys.index(v.metric) if v.metric in keys else 0
        self.smoothing, self.flip_log = v.smoothing, v.flip_log
        self.band = v.band or self.band
        self.query_one(RunTable).hidden = set(v.hidden)

    def _save_view(self) -> None:
        view_settings(self.app).set(
            self.pane_name,
            metric=METRICS[self.metric % len(METRICS)][1],
            smoothing=self.smoothing,
            flip_log=self.flip_log,
            band=self.band,
            hidden=tuple(sorted(self.query_one(RunTable).hidden)),
        )

    def on_resize(self) -> None:
        self.set_view(self.view, narrow=self.size.width < NARROW)
        self.call_after_refresh(self.redraw)  # a figure table is fitted to its new width

    def set_view(self, view: str, narrow: bool | None = None) -> None:
        """Show `view` (and set `-narrow` when given). The narrow layout is CSS (`-narrow`, set on a
        resize); which view shows is set inline on the widgets it hides or sizes: a class change
        on the pane restyles each of its widgets (110 ms per `v` on 2 cores), this restyles none."""
        if narrow is not None:
            self.set_class(narrow, "-narrow")
        self.view = view
        wide = not self.has_class("-narrow")
        table = self.query_one(RunTable)
        self.query_one("#left").display = wide or view == "form"
        self.query_one("#center").display = wide or view != "form"
        self.query_one("#charts").display = wide or view != "runs"
        table.display = wide or view != "charts"
        table.styles.height = None if wide or view != "runs" else "1fr"  # None: the stylesheet's 11 lines
        self._update(
            "#views",
            "  ".join(f"[reverse] {v} [/]" if v == view else f" {v} " for v in VIEWS) + "   [dim]v: next view[/]",
        )
        if self.has_class("-narrow") and self.app.focused is not None and not self.app.focused.display:
            self.focus_view()

    def focus_view(self) -> None:
        """Focus the shown view's main widget (only in the active pane: focusing a widget of a
        hidden tab would switch the tabs to it)."""
        if self.app.active_pane() is not self:
            return
        narrow = self.has_class("-narrow")
        target = {"form": "#presets", "charts": "#runs", "runs": "#runs"}[self.view] if narrow else "#presets"
        self.query_one(target).focus()

    # -- focus ----------------------------------------------------------------
    def _stops(self) -> list:
        """The pane's tab stops on screen: presets, run table, the figure panel's table or claims."""
        ids = ("#presets", "#runs", "#figure-table", "#claims-view")
        return [w for w in (self.query_one(i) for i in ids) if w.focusable and _shown(w)]

    def action_stop(self, step: int) -> None:
        """Tab: the next stop; inside the form, the next field (its fields and Run cycle)."""
        focused = self.app.focused
        form = self.query_one(SpecForm)
        run = self.query_one("#run", Button)
        if focused is not None and (focused is run or form in focused.ancestors):
            fields = [w for w in (*form.inputs.values(), run) if w.focusable]
            at = fields.index(focused) if focused in fields else -1
            fields[(at + step) % len(fields)].focus()
            return
        stops = self._stops()
        at = next((i for i, w in enumerate(stops) if focused is w or w in getattr(focused, "ancestors", ())), None)
        nxt = (at + step) if at is not None else 0
        if 0 <= nxt < len(stops):
            stops[nxt].focus()
        else:  # past either end: the tab bar, where tab comes back to the presets
            self.app.query_one("#tabs Tabs").focus()

    def check_action(self, action: str, parameters) -> bool | None:
        if action == "leave_form":  # only from the Run button: esc elsewhere keeps its meaning
            return self.app.focused is self.query_one("#run")
        return True

    def action_leave_form(self) -> None:
        self.query_one("#presets").focus()

    def action_edit_form(self) -> None:
        """e: into the form's first field (esc comes back to the presets)."""
        fields = [w for w in self.query_one(SpecForm).inputs.values() if w.focusable]
        if fields:
            if self.has_class("-narrow") and self.view != "form":
                self.set_view("form")
            fields[0].focus()

    def select_preset(self, name: str) -> None:
        ol = self.query_one("#presets", OptionList)
        for p in self.presets:
            if p.name == name:
                ol.highlighted = ol.get_option_index(name)
                self.query_one(SpecForm).load(p)

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option_list.highlighted != event.option_index:  # stale: the list moved on (one form build)
            return
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
            if self.has_class("-narrow"):
                self.set_view("charts")
                self.focus_view()

    def on_run_table_highlighted(self, msg: RunTable.Highlighted) -> None:
        if msg.run_id != self.highlight:
            self.highlight = msg.run_id
            self.redraw()

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
        if not self.query(RunTable):  # not composed yet: the first redraw after mount draws it
            return
        gid = self.current_group()
        if gid and not self.view_chosen and self.view == "form":
            self.set_view("charts")
        if gid:  # the feed loads them (records, then events once) if they are not yet
            self.cache.want(*self.cache.family(gid))
        records, runs = self._group_runs(gid)
        n_groups = len(self.cache.groups(self.studies))
        figs = self._figures(records, runs)
        claims = next((f for f in figs if isinstance(f, Table) and f.title.startswith(CLAIMS)), None)
        head = ""
        if claims is not None:  # the verdicts at a glance; `c` shows the claims table
            marks = [row[0] for row in claims.rows]
            counts = f"{marks.count(MARK['holds'])}✓ {marks.count(MARK['fails'])}✗ {marks.count(MARK['pending'])}…"
            head = f"claims {counts} (c) · "  # first: a long group id must not hide it
        if gid:  # the id cut in its middle to fit the line (its end tells groups apart), never dropped
            tail = f" ({self.group_index % max(n_groups, 1) + 1}/{n_groups}, g: next)"
            width = self.query_one("#group-title").size.width  # 0 before the first layout: not cut yet
            room = width - len(head) - len("group ") - len(tail) if width else len(gid)
            title = f"{head}group {middle(gid, max(room, 12))}{tail}"
        else:
            title = f"{head}no runs yet: pick a preset and press enter"
        self._update("#group-title", title)
        shown = figs[self.figure_index % len(figs)] if figs else None
        left = curves_figure(runs, self.metric)
        by_id = run_styles(runs)
        styles = {base_label(r): by_id[r.id] for r in runs}  # series are named by label without seed
        plots = [f for f in figs if isinstance(f, Figure) and f is not shown]
        hint = "m: metric"
        if not left.series and plots:  # closed-form studies log no curves: show another figure there
            left, styles, hint = plots[self.figure_index % len(plots)], {}, "f: next figure"
        curves = self.query_one("#curves", ChartPanel)
        curves.chart.smoothing, curves.chart.flip_logy = self.smoothing, self.flip_log
        curves.chart.band = self.band
        labels = {r.id: base_label(r) for r in runs}
        curves.chart.highlight = labels.get(self.highlight) if styles else None
        curves.show(left if records else None, styles, hint)
        fig_panel = self.query_one("#figure", ChartPanel)
        table = self.query_one("#figure-table", DataTable)
        claims_view = self.query_one("#claims-view", VerticalScroll)
        is_claims = isinstance(shown, Table) and shown.title.startswith(CLAIMS)
        is_table = isinstance(shown, Table) and not is_claims
        fig_panel.display, table.display, claims_view.display = not (is_table or is_claims), is_table, is_claims
        if is_claims:
            if self._table_shown != (shown.columns, shown.rows):
                self._table_shown = (shown.columns, shown.rows)
                self.query_one("#claims-text", Static).update(claims_text(shown))
                claims_view.border_title = shown.title
                claims_view.border_subtitle = "c: back · f: next figure"
        elif is_table:
            width = table.scrollable_content_region.width  # inside its border and scrollbar
            if self._table_shown != (shown.columns, shown.rows, width):
                self._table_shown = (shown.columns, shown.rows, width)
                cells = [[shown.cell(i, j) for j in range(len(row))] for i, row in enumerate(shown.rows)]
                keep = fitting_columns(shown.columns, cells, width)
                self.call_after_refresh(self.redraw)  # fitted again once laid out (a no-op if the width held)
                table.clear(columns=True)
                table.add_columns(*shown.columns[:keep])
                table.add_rows([row[:keep] for row in cells])
                table.border_title = shown.title
                left = len(shown.columns) - keep
                table.border_subtitle = "f: next figure" + (
                    f" · +{left} col. (widen)" if left else ""  # short: a border subtitle is cut to fit
                )
        else:
            fig_panel.chart.flip_logy, fig_panel.chart.band = self.flip_log, self.band
            fig_panel.show(shown, hint="f: next figure" if len(figs) > 1 else "")
        self.query_one(RunTable).show(records, self.cache)

    def _group_runs(self, gid: str | None) -> tuple[list[RunRecord], list]:
        """The group's records with its restarts' after them (the run table lists both), and the
        runs its figures and claims read: a run redone by a restart counts by its redo."""
        if not gid:
            return [], []
        records, redone = self.cache.family_runs(gid)
        return records, self.cache.run_data([r for r in records if r.id not in redone])

    def _update(self, selector: str, text) -> None:
        """Update a Static only when its text changes (an update re-lays out the screen)."""
        if self._texts.get(selector) != text:
            for w in self.query(selector).results(Static):
                self._texts[selector] = text
                w.update(text)

    def _figures(self, records, runs) -> list[Figure | Table]:
        if not records:
            return []
        study = get_study(records[0].study)
        figs = [f for f in study.figures(runs) if f.key != "loss"]
        heatmaps = [f for f in figs if f.is_heatmap]  # a study's heatmap is its main picture: shown first
        return [*heatmaps, *study.tables(runs), *(f for f in figs if not f.is_heatmap), *claims_tables(study, runs)]

    # -- actions ---------------------------------------------------------------
    def action_cycle_metric(self) -> None:
        self.metric = (self.metric + 1) % len(METRICS)
        self._save_view()
        self.redraw()

    def action_cycle_figure(self) -> None:
        self.figure_index += 1
        self.redraw()

    def action_toggle_smoothing(self) -> None:
        self.smoothing = 0.0 if self.smoothing else 0.8
        self.notify(f"EMA smoothing {'on (0.8)' if self.smoothing else 'off'}")
        self._save_view()
        self.redraw()

    def action_toggle_log(self) -> None:
        self.flip_log = not self.flip_log
        self._save_view()
        self.redraw()

    def action_cycle_band(self) -> None:
        """b: the seed band's kind, 95 % CI -> s.e. -> s.d. -> min-max."""
        self.band = next_kind(self.band)
        self.notify(f"seed band: {TITLE[self.band]}", timeout=3)
        self._save_view()
        self.redraw()

    def action_columns(self) -> None:
        """o: pick the run table's columns (saved with the pane's view)."""
        from overfit_tui.ui.column_screen import ColumnScreen

        table = self.query_one(RunTable)

        def chosen(hidden: set[str] | None) -> None:
            if hidden is not None and hidden != table.hidden:
                table.hidden = hidden
                self._save_view()
                self.redraw()  # the table's columns follow its `hidden`

        self.app.push_screen(ColumnScreen(table.choosable(), table.hidden), chosen)

    def action_claims(self) -> None:
        """Show the claims table in the figure panel (again: back to the first figure)."""
        records, runs = self._group_runs(self.current_group())
        figs = self._figures(records, runs)
        at = next((i for i, f in enumerate(figs) if isinstance(f, Table) and f.title.startswith(CLAIMS)), None)
        if at is None:
            self.notify("no claims to check here yet", timeout=3)
            return
        self.figure_index = 0 if self.figure_index % len(figs) == at else at
        self.redraw()

    def action_compare_group(self) -> None:
        """The Compare screen of the group shown (where `e` exports it)."""
        ids = [r.id for r in self._group_runs(self.current_group())[0]]
        if ids:
            self.app.open_compare(ids)

    def action_toggle_numbers(self) -> None:
        for c in self.query(FigureChart):
            c.numbers = not c.numbers
        self.redraw()

    def action_cycle_group(self) -> None:
        self.group_index += 1
        self.redraw()

    def action_cycle_view(self) -> None:
        if self.has_class("-narrow"):
            self.view_chosen = True
            self.set_view(VIEWS[(VIEWS.index(self.view) + 1) % len(VIEWS)])
            self.focus_view()
        else:
            self.notify("the pane shows form, charts and runs together at this width (v switches below 100 columns)")
