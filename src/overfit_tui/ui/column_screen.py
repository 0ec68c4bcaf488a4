"""Which run-table columns a pane shows: a checklist of its columns (space toggles, enter keeps,
escape leaves them as they were). The pane saves the choice with its view (ui/view_settings.py)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, SelectionList


class ColumnScreen(ModalScreen[set[str] | None]):
    """Returns the column keys to hide, or None when cancelled."""

    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("enter", "keep", "Keep", priority=True)]
    DEFAULT_CSS = """
    ColumnScreen { align: center middle; }
    ColumnScreen > Vertical { width: 44; height: auto; max-height: 90%; border: round $accent;
        background: $surface; padding: 0 1; }
    ColumnScreen SelectionList { height: auto; max-height: 20; }
    """

    def __init__(self, columns: list[tuple[str, str]], hidden: set[str]):
        super().__init__()
        self.columns, self.hidden = columns, hidden

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("[b]Run table columns[/b]  space: show/hide · enter: keep")
            yield SelectionList[str](*((head, key, key not in self.hidden) for key, head in self.columns))

    def on_mount(self) -> None:
        self.query_one(SelectionList).focus()

    def action_keep(self) -> None:
        shown = set(self.query_one(SelectionList).selected)
        self.dismiss({key for key, _ in self.columns if key not in shown})

    def action_cancel(self) -> None:
        self.dismiss(None)
