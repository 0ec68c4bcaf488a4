"""The run table: status, progress, ETA, the study's summary numbers (its declared fields:
labels, units, formats and priorities from core/schema.py), device and throughput, live.
Columns have fixed widths (a status never shows as `runnin`) and a priority: when the
table is narrow, low-priority columns are dropped whole; numbers are never cut.

Space marks a run (for comparison), x cancels the run under the cursor, X its group
(after a question), R restarts a stopped run, Enter opens the run's detail. Moving the
cursor highlights the run's curve in the charts.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable

from overfit_tui.core.records import RunRecord
from overfit_tui.core.schema import Field
from overfit_tui.core.status import ACTIVE, Status
from overfit_tui.studies import fields_for
from overfit_tui.studies.base import Study
from overfit_tui.ui.cache import RunCache
from overfit_tui.ui_text import LIVE, bar, eta_range, fmt_eta, middle, progress_of, status_text

STATUS_STYLE = {
    Status.QUEUED: "dim",
    Status.RUNNING: "bold cyan",
    Status.FINISHED: "green",
    Status.FAILED: "bold red",
    Status.DIVERGED: "bold magenta",
    Status.CANCELLED: "yellow",
    Status.LOST: "red",
}
DEFAULT_SUMMARY = Study.summary_fields  # the fields every trained run reports (no engine import: no torch)
LIVE_ONLY = ("progress", "eta", "speed", "device")


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    width: int
    priority: float  # lower is kept longer
    field: Field | None = None  # for a summary column: how its numbers read


def cell_width(f: Field) -> int:
    """Room for the field's widest likely cell: '100.0%', 'not fitted', '1.234e+05', '12,345'."""
    return max(len(f.header), len(f.missing), 7 if f.unit == "%" else 9)


def columns_for(summary: tuple[Field, ...], label_width: int, extra: tuple[Column, ...] = ()) -> list[Column]:
    cols = [
        Column("mark", "", 1, 0),
        Column("run", "run", label_width, 0),
        Column("status", "status", 9, 1),
        Column("progress", "progress", 10, 2),
        Column("eta", "ETA", 9, 5),
        Column("device", "device", 6, 8),
        Column("speed", "samples/s", 9, 9),
        *extra,
    ]
    for i, f in enumerate(summary):  # a field of priority 1 outranks ETA; 3 and up go before device
        rank = {1: 3.0, 2: 4.0}.get(f.priority, 6.0 + f.priority)
        cols.append(Column(f"s:{f.key}", f.header, cell_width(f), rank + i / 100, f))
    return cols


def fit(cols: list[Column], width: int) -> list[Column]:
    """The highest-priority columns whose widths (plus cell padding) fit in `width`, in order:
    the lowest priority goes first, then any dropped column that fits again comes back."""
    keep = list(cols)
    dropped = []
    while len(keep) > 2 and sum(c.width + 2 for c in keep) > width:
        worst = max(keep, key=lambda c: (c.priority, cols.index(c)))
        keep.remove(worst)
        dropped.append(worst)
    for c in sorted(dropped, key=lambda c: (c.priority, cols.index(c))):
        if sum(k.width + 2 for k in keep) + c.width + 2 <= width:
            keep.append(c)
    return sorted(keep, key=cols.index)


class RunTable(DataTable):
    """Rows are runs; the key of a row is the run id."""

    BINDINGS = [
        Binding("space", "mark", "Mark"),
        Binding("x", "cancel_run", "Cancel run"),
        Binding("X", "cancel_group", "Cancel group"),
        Binding("R", "restart", "Restart", show=False),
    ]

    class Open(Message):
        def __init__(self, run_id: str):
            super().__init__()
            self.run_id = run_id

    class Cancel(Message):
        def __init__(self, ref: str):
            super().__init__()
            self.ref = ref

    class Restart(Message):
        def __init__(self, run_id: str):
            super().__init__()
            self.run_id = run_id

    class Highlighted(Message):
        """The cursor moved onto a run (None: the table lost focus)."""

        def __init__(self, run_id: str | None):
            super().__init__()
            self.run_id = run_id

    def __init__(self, marked: set[str], extra: tuple[Column, ...] = (), **kw):
        super().__init__(cursor_type="row", zebra_stripes=True, **kw)
        self.marked = marked
        self.extra = extra
        self.mixed_summary: tuple[Field, ...] = DEFAULT_SUMMARY  # columns when runs of several studies mix
        self.shown: list[Column] = []
        self.hidden: set[str] = set()  # column keys the user hid (the pane's `o`; saved with its view)
        self._records: list[RunRecord] = []
        self._cache: RunCache | None = None
        self._last: dict[tuple[str, str], object] = {}  # (run, column) -> the cell shown

    def current_id(self) -> str | None:
        if not self.row_count:
            return None
        return self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value

    def _columns(self, records: list[RunRecord]) -> list[Column]:
        studies = {r.study for r in records}
        summary = tuple(fields_for(studies)) if len(studies) == 1 else self.mixed_summary
        label_w = min(26, max([len(r.label) for r in records] + [8]))
        cols = [c for c in columns_for(summary, label_w, self.extra) if c.key not in self.hidden]
        if records and not any(r.active for r in records):
            # nothing in flight: progress, ETA and speed say nothing; the results take their room
            cols = [c for c in cols if c.key not in LIVE_ONLY[:3]]
            cols = [replace(c, priority=c.priority + 10) if c.key == "device" else c for c in cols]
        return fit(cols, max(self.size.width - 2, 40))

    def choosable(self) -> list[tuple[str, str]]:
        """(key, header) of every column the user may hide or show (not the mark and the run)."""
        studies = {r.study for r in self._records}
        summary = tuple(fields_for(studies)) if len(studies) == 1 else self.mixed_summary
        cols = columns_for(summary, 8, self.extra)
        return [(c.key, c.header or c.key) for c in cols if c.key not in ("mark", "run")]

    def show(self, records: list[RunRecord], cache: RunCache) -> None:
        self._records, self._cache = records, cache
        cols = self._columns(records)
        keep = self.current_id()
        wanted = [r.id for r in records]
        if cols != self.shown:
            self.clear(columns=True)
            self.shown = cols
            for c in cols:
                self.add_column(c.header, width=c.width, key=c.key)
        elif [k.value for k in self.rows] == wanted:
            for r in records:  # only cells that changed: an unchanged table is not redrawn
                for c, val in zip(cols, self._cells(r, cache)):
                    if self._last.get((r.id, c.key)) != val:
                        self._last[(r.id, c.key)] = val
                        self.update_cell(r.id, c.key, val)
            return
        self.clear()
        self._last = {}
        for r in records:
            cells = self._cells(r, cache)
            self._last.update({(r.id, c.key): v for c, v in zip(cols, cells)})
            self.add_row(*cells, key=r.id)
        self.move_cursor(row=wanted.index(keep) if keep in wanted else 0, animate=False)

    def on_resize(self) -> None:
        if self._cache is not None and self._columns(self._records) != self.shown:
            self.show(self._records, self._cache)

    def _cells(self, r: RunRecord, cache: RunCache) -> list:
        return [self.cell(c, r, cache) for c in self.shown]

    def cell(self, c: Column, r: RunRecord, cache: RunCache):
        status = r.status
        if c.key == "mark":
            return "●" if r.id in self.marked else " "
        if c.key == "run":
            return Text(middle(r.label, c.width), no_wrap=True)
        if c.key == "status":
            pos = cache.queue_pos.get(r.id, 0 if r.pid else None)
            return Text(status_text(r, pos), style=STATUS_STYLE.get(status, ""))
        if c.key == "progress":
            return bar(progress_of(r, cache.last(r.id, "step") or cache.last(r.id, "eval")))
        if c.key == "eta":
            return fmt_eta(eta_range(r, cache.events.get(r.id, [])))
        if c.key == "device":
            return r.device or ""
        if c.key == "speed":
            step = cache.last(r.id, "step")
            return f"{step['samples_per_s']:,.0f}" if step and status == Status.RUNNING else "-"
        if c.field is not None:
            f, s = c.field, r.summary
            if f.key in s or status not in ACTIVE:
                return Text(f.cell(s, status, bool(r.started)), justify="right")
            ev = cache.last(r.id, "eval") or {}
            live = ev.get(LIVE.get(f.key, ""))
            return Text(f.format(live) if live is not None else "-", justify="right", style="dim")
        return self.extra_cell(c, r)

    def extra_cell(self, c: Column, r: RunRecord):
        return ""

    # -- keys ---------------------------------------------------------------
    def action_mark(self) -> None:
        rid = self.current_id()
        if rid:
            self.marked.symmetric_difference_update({rid})
            self._last[(rid, "mark")] = "●" if rid in self.marked else " "
            if any(c.key == "mark" for c in self.shown):
                self.update_cell(rid, "mark", self._last[(rid, "mark")])

    def action_cancel_run(self) -> None:
        rid = self.current_id()
        if rid:
            self.post_message(self.Cancel(rid))

    def action_cancel_group(self) -> None:
        rid = self.current_id()
        if rid:
            self.post_message(self.Cancel("group:" + rid))

    def action_restart(self) -> None:
        rid = self.current_id()
        if rid:
            self.post_message(self.Restart(rid))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.post_message(self.Open(event.row_key.value))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        if self.has_focus and self.display and event.row_key is not None:
            self.post_message(self.Highlighted(event.row_key.value))

    def on_focus(self) -> None:
        if self.display:  # a table hidden by the narrow layout picks nothing out
            self.post_message(self.Highlighted(self.current_id()))

    def on_blur(self) -> None:
        self.post_message(self.Highlighted(None))
