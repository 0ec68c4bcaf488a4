"""The run table: status, device, progress, throughput, ETA and key summary numbers, live.

Space marks a run (for comparison), x cancels the run under the cursor, X its group,
Enter opens the run's detail.
"""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable

from overfit_tui.ui.cache import RunCache
from overfit_tui.ui_text import pct, progress_of

STATUS_STYLE = {
    "queued": "dim", "running": "bold cyan", "finished": "green", "failed": "bold red",
    "diverged": "bold magenta", "cancelled": "yellow", "lost": "red",
}  # fmt: skip

COLUMNS = ("", "run", "status", "device", "progress", "samples/s", "ETA", "train acc", "test acc", "fit (steps)")


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
    ]

    class Open(Message):
        def __init__(self, run_id: str):
            super().__init__()
            self.run_id = run_id

    class Cancel(Message):
        def __init__(self, ref: str):
            super().__init__()
            self.ref = ref

    def __init__(self, marked: set[str], **kw):
        super().__init__(cursor_type="row", zebra_stripes=True, **kw)
        self.marked = marked
        self.extra_columns: tuple[str, ...] = ()

    def on_mount(self) -> None:
        for c in COLUMNS:
            self.add_column(c, key=c)

    def current_id(self) -> str | None:
        if not self.row_count:
            return None
        return self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value

    def show(self, records: list[dict], cache: RunCache) -> None:
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
        frac = progress_of(r, step)
        fit = s.get("steps_to_fit")
        fit_txt = str(fit) if fit is not None else ("not fitted" if s else "-")
        return [
            "●" if r["id"] in self.marked else " ",
            Text(r["label"][:30]),
            Text(r["status"], style=STATUS_STYLE.get(r["status"], "")),
            r.get("device") or "",
            bar(frac),
            f"{step['samples_per_s']:,.0f}" if step and r["status"] == "running" else "-",
            eta(frac, step.get("wall") if step else None) if r["status"] == "running" else "-",
            pct(s.get("final_train_acc", ev.get("train_acc"))),
            pct(s.get("final_test_acc", ev.get("test_acc"))),
            fit_txt,
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

    def action_open(self) -> None:
        rid = self.current_id()
        if rid:
            self.post_message(self.Open(rid))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.post_message(self.Open(event.row_key.value))
