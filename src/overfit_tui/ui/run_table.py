"""The run table: status, device, progress, throughput, ETA and key summary numbers, live.

Space marks a run (for comparison), x cancels the run under the cursor, X its group,
Enter opens the run's detail.
"""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable

from overfit_tui.core.schema import Field
from overfit_tui.engine.train import TRAIN_FIELDS
from overfit_tui.studies import fields_for
from overfit_tui.ui.cache import RunCache
from overfit_tui.ui_text import progress_of

STATUS_STYLE = {
    "queued": "dim",
    "running": "bold cyan",
    "finished": "green",
    "failed": "bold red",
    "diverged": "bold magenta",
    "cancelled": "yellow",
    "lost": "red",
}

COLUMNS = ("", "run", "status", "device", "progress", "samples/s", "ETA", "s1", "s2", "s3")
DEFAULT_SUMMARY = tuple(TRAIN_FIELDS[k] for k in ("final_train_acc", "final_test_acc", "steps_to_fit"))


def bar(frac: float, width: int = 8) -> str:
    full = int(frac * width)
    return "█" * full + "░" * (width - full) + f" {100 * frac:3.0f}%"


def eta(frac: float, wall: float | None) -> str:
    if not wall or frac <= 0 or frac >= 1:
        return "-"
    secs = wall * (1 - frac) / frac
    return f"{secs / 60:.0f}m" if secs > 90 else f"{secs:.0f}s"


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

    def __init__(self, marked: set[str], **kw):
        super().__init__(cursor_type="row", zebra_stripes=True, **kw)
        self.marked = marked
        self.summary_keys: tuple[Field | None, ...] = ()

    def on_mount(self) -> None:
        self._set_columns(DEFAULT_SUMMARY)

    def _set_columns(self, summary: tuple[Field, ...]) -> None:
        """The last three columns are the study's own key summary numbers (its declared fields)."""
        self.summary_keys = tuple(summary[:3]) + (None,) * (3 - len(summary[:3]))
        self.clear(columns=True)
        for c in COLUMNS[:7]:
            self.add_column(c, key=c)
        for f, c in zip(self.summary_keys, COLUMNS[7:]):
            self.add_column(f.header if f else "", key=c)

    def current_id(self) -> str | None:
        if not self.row_count:
            return None
        return self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value

    def show(self, records: list[dict], cache: RunCache) -> None:
        studies = {r["study"] for r in records}
        wanted_cols = tuple(fields_for(studies)) if len(studies) == 1 else DEFAULT_SUMMARY
        if tuple(wanted_cols[:3]) != tuple(f for f in self.summary_keys if f):
            self._set_columns(tuple(wanted_cols))
        keep = self.current_id()
        wanted = [r["id"] for r in records]
        existing = [k.value for k in self.rows]
        if existing != wanted:
            self.clear()
            for r in records:
                self.add_row(*self._cells(r, cache), key=r["id"])
            if keep in wanted:
                self.move_cursor(row=wanted.index(keep), animate=False)
            return
        for r in records:
            for col, val in zip(COLUMNS, self._cells(r, cache)):
                self.update_cell(r["id"], col, val)

    def _cells(self, r: dict, cache: RunCache) -> list:
        s = r.get("summary") or {}
        step = cache.last(r["id"], "step")
        ev = cache.last(r["id"], "eval") or {}
        live = {"final_train_acc": ev.get("train_acc"), "final_test_acc": ev.get("test_acc")}
        frac = progress_of(r, step)
        summary = [
            f.format(s.get(f.key, live.get(f.key))) if f and (s or f.key in live) else "-" for f in self.summary_keys
        ]
        return [
            "●" if r["id"] in self.marked else " ",
            Text(r["label"][:30]),
            Text(r["status"], style=STATUS_STYLE.get(r["status"], "")),
            r.get("device") or "",
            bar(frac),
            f"{step['samples_per_s']:,.0f}" if step and r["status"] == "running" else "-",
            eta(frac, step.get("wall") if step else None) if r["status"] == "running" else "-",
            *summary,
        ]

    def action_mark(self) -> None:
        rid = self.current_id()
        if rid:
            self.marked.symmetric_difference_update({rid})
            self.update_cell(rid, "", "●" if rid in self.marked else " ")

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

    def action_open(self) -> None:
        rid = self.current_id()
        if rid:
            self.post_message(self.Open(rid))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.post_message(self.Open(event.row_key.value))
