"""The Scorecard (S): every study's latest group with a finished run, its claims held / failed /
pending, the devices and time it took; the highlighted group's claims in full below (the
paper's number beside ours). Read from the store off the event loop; `e` writes the report."""

from __future__ import annotations

from pathlib import Path

from rich.table import Table as RichTable
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from overfit_tui.export.report import write_report
from overfit_tui.export.scorecard import group_claims, latest_groups
from overfit_tui.studies.claims import MARK, evidence_text
from overfit_tui.ui_text import duration, middle

STYLE = {"holds": "green", "fails": "red", "pending": "yellow"}


def claims_table(gc) -> RichTable:
    """One group's claims: verdict, the claim and its source, the paper's number, ours."""
    t = RichTable(expand=True, show_edge=False, pad_edge=False)
    t.add_column("", width=1, no_wrap=True)
    t.add_column("claim", ratio=3)
    t.add_column("paper", ratio=1)
    t.add_column("measured", ratio=2)
    t.add_column("evidence (effect [95 %] vs margin, n; null FPR)", ratio=2)
    for c, v in gc.results:
        kind = Text(" construction check", style="italic dim") if c.kind == "construction" else Text("")
        t.add_row(
            Text(MARK[v.status], style=STYLE[v.status]),
            Text(f"{c.text} ") + Text(f"({c.source})", style="dim") + kind,
            Text(c.paper or "-"),
            Text(v.measured or v.detail, style="" if v.measured else "dim"),
            Text(evidence_text(c, v), style="dim"),
        )
    return t


class ScorecardScreen(Screen):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("e", "report", "Write report"),
    ]
    DEFAULT_CSS = """
    ScorecardScreen #board { height: auto; max-height: 50%; }
    ScorecardScreen #claims-box { height: 1fr; border: round $panel; padding: 0 1; }
    ScorecardScreen #note { height: auto; color: $text-muted; padding: 0 1; }
    """

    def __init__(self, store, exports: Path):
        super().__init__()
        self.store, self.exports = store, exports
        self.results: list = []

    def compose(self) -> ComposeResult:
        yield Header(icon="●")  # Textual's ⭘ has no glyph in common browser fonts (the served page)
        yield Static("checking every study's latest group…", id="note")
        yield DataTable(id="board", cursor_type="row", zebra_stripes=True)
        with VerticalScroll(id="claims-box"):
            yield Static("", id="claims")
        yield Footer()

    def on_mount(self) -> None:
        self.title = "Scorecard"
        self.load()

    @work(thread=True, exclusive=True)
    def load(self) -> None:

        results = [gc for g in latest_groups(self.store) if (gc := group_claims(self.store, g)) is not None]
        self.app.call_from_thread(self.show, results)

    def show(self, results: list) -> None:
        self.results = results
        table = self.query_one("#board", DataTable)
        table.clear(columns=True)
        table.add_columns("study", "✓", "✗", "…", "device", "wall", "group")
        rows = [
            [
                gc.study,
                Text(str(gc.count("holds")), style="green"),
                Text(str(gc.count("fails")), style="red" if gc.count("fails") else ""),
                str(gc.count("pending")),
                ", ".join(gc.devices) or "-",
                duration(gc.seconds) if gc.seconds else "-",
            ]
            for gc in results
        ]
        # the group id last, cut in its middle to fit the screen (its end tells groups apart): at
        # 80 columns the ids were cut at the edge and looked whole
        used = sum(
            max([len(h)] + [len(str(r[j])) for r in rows]) + 2
            for j, h in enumerate(("study", "✓", "✗", "…", "device", "wall"))
        )
        room = max(self.size.width - used - 4, 16) if self.size.width else 64
        for gc, row in zip(results, rows, strict=True):
            table.add_row(*row, middle(gc.group, room))
        held = sum(gc.count("holds") for gc in results)
        total = sum(len(gc.results) for gc in results)
        self.query_one("#note", Static).update(
            f"{len(results)} studies with finished runs: {held} of {total} claims hold"
            " · ↑↓ a study's claims · e: write the report (HTML, Markdown, figures)"
            if results
            else "no study has a finished group yet: run a preset, then come back (S)"
        )
        self._show_claims(0)

    def on_resize(self) -> None:
        if self.results:  # the group ids refitted to the new width, the row kept
            row = self.query_one("#board", DataTable).cursor_row
            self.show(self.results)
            self.query_one("#board", DataTable).move_cursor(row=row)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_claims(event.cursor_row)

    def _show_claims(self, i: int) -> None:
        box = self.query_one("#claims-box")
        if not self.results:
            self.query_one("#claims", Static).update("")
            return
        gc = self.results[min(i, len(self.results) - 1)]
        box.border_title = f"{gc.study}: {gc.paper}"
        self.query_one("#claims", Static).update(claims_table(gc))

    def action_report(self) -> None:
        self.write_report()

    @work(thread=True, exclusive=True, group="report")
    def write_report(self) -> None:
        import time

        groups = [gc.group for gc in self.results]
        if not groups:
            self.app.call_from_thread(self.notify, "nothing to report yet", severity="warning")
            return
        out = self.exports / time.strftime("report-%Y%m%d-%H%M%S")
        try:
            paths = write_report(self.store, groups, out)
        except OSError as e:
            self.app.call_from_thread(self.notify, f"report not written: {e}", severity="error", markup=False)
            return
        self.app.call_from_thread(self.notify, f"report written: {paths[0]}", markup=False)
