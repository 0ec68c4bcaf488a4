"""The complexity measures of the marked runs (palette: "Complexity measures on marked runs"):
one row per run as it is measured (from the weights each run keeps), then each measure's
Kendall tau with the generalization gap and its permutation null band. The measuring runs in
a thread worker (torch loads there, never on the event loop); `e` writes CSV and Markdown
into the home's exports folder."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from overfit_tui.export.measures import inputs_of, measure, write_table
from overfit_tui.studies.complexity.fields import MEASURES
from overfit_tui.studies.complexity.table import MeasureRow, MeasureTable, fmt

LABELS = {f.key: f.label for f in MEASURES}


def open_measures(app) -> None:
    """The palette's "Complexity measures on marked runs": the screen for the app's marked runs."""
    if not app.marked:
        app.notify("mark runs first (space in a run table, a: every shown run in Runs)", severity="warning")
        return
    app.push_screen(MeasuresScreen(app.store, sorted(app.marked), app.data_dir, app.home.root / "exports"))


class MeasuresScreen(Screen):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("e", "export", "Export CSV + Markdown"),
    ]
    DEFAULT_CSS = """
    MeasuresScreen #note { height: auto; color: $text-muted; padding: 0 1; }
    MeasuresScreen #measure-runs { height: 1fr; }
    MeasuresScreen #measure-taus { height: auto; max-height: 40%; }
    """

    def __init__(self, store, run_ids: list[str], data_dir: Path, exports: Path):
        super().__init__()
        self.store, self.run_ids, self.data_dir, self.exports = store, list(run_ids), Path(data_dir), Path(exports)
        self.table: MeasureTable | None = None
        self.done_rows: list[MeasureRow] = []

    def compose(self) -> ComposeResult:
        yield Header(icon="●")
        yield Static(f"measuring {len(self.run_ids)} run(s) from their saved weights…", id="note")
        yield DataTable(id="measure-runs", cursor_type="row", zebra_stripes=True)
        yield DataTable(id="measure-taus", cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        self.title = "Complexity measures"
        runs = self.query_one("#measure-runs", DataTable)
        runs.add_columns("run", "label", "gap", *(LABELS[f.key] for f in MEASURES), "note")
        self.query_one("#measure-taus", DataTable).add_columns(
            "measure", "runs", "tau", "tau null 95 %", "ranks the gap", "note"
        )
        runs.focus()
        self.compute()

    @work(thread=True, exclusive=True, group="measures")
    def compute(self) -> None:
        from textual.worker import get_current_worker

        worker = get_current_worker()
        try:
            records = [r for r in (self.store.get_run(i) for i in self.run_ids) if r is not None]
            inputs = inputs_of(self.store, records)
            table = measure(
                inputs,
                self.data_dir,
                self.store.home.data_dir,
                progress=lambda i, row: self.app.call_from_thread(self.add_row, row),
                cancelled=lambda: worker.is_cancelled,
            )
        except Exception as e:  # reported on the screen, never a crash of the app
            self.app.call_from_thread(self.failed, f"{type(e).__name__}: {e}")
            return
        if not worker.is_cancelled:
            self.app.call_from_thread(self.show, table)

    def _gone(self) -> bool:
        """Left already (the worker's last calls may arrive after the screen was popped)."""
        return not self.query("#measure-runs")

    def add_row(self, row: MeasureRow) -> None:
        if self._gone():
            return
        self.done_rows.append(row)
        self.query_one("#measure-runs", DataTable).add_row(
            Text(row.run_id),
            Text(row.label),
            fmt(row.gap),
            *(fmt(row.values.get(f.key)) for f in MEASURES),
            Text(row.note, style="dim") if row.note else "",
            key=row.run_id,
        )
        self.query_one("#note", Static).update(f"measured {len(self.done_rows)} of {len(self.run_ids)} run(s)…")

    def show(self, table: MeasureTable) -> None:
        if self._gone():
            return
        self.table = table
        taus = self.query_one("#measure-taus", DataTable)
        taus.clear()
        for key, n, tau, band, ranks, note in table.tau_cells():
            style = "green" if ranks == "yes" else ""
            taus.add_row(Text(LABELS.get(key, key)), str(n), fmt(tau), fmt(band), Text(ranks, style=style), Text(note))
        self.query_one("#note", Static).update(
            f"{table.measured} of {len(table.rows)} run(s) measured · tau: Kendall's, with the gap "
            "(train - test accuracy); null 95 %: the gap permuted across runs · e: export CSV + Markdown"
        )

    def failed(self, why: str) -> None:
        if self._gone():
            return
        self.query_one("#note", Static).update(Text(f"measuring failed: {why}", style="red"))

    def action_export(self) -> None:
        if self.table is None:
            self.notify("still measuring: export when the table is complete", severity="warning")
            return
        self._export(self.table)

    @work(thread=True, group="export")
    def _export(self, table: MeasureTable) -> None:
        try:
            paths = write_table(table, self.exports)
        except OSError as e:
            self.app.call_from_thread(self.notify, f"export failed: {e}", severity="error", markup=False)
            return
        self.app.call_from_thread(self.notify, f"exported {paths[0]} and {paths[1].name}", markup=False, timeout=10)
