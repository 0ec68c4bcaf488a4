"""Edit a run's tags and note (stored, searchable from the Runs filter)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label


class TagScreen(ModalScreen[tuple[list[str], str] | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel")]
    DEFAULT_CSS = """
    TagScreen { align: center middle; }
    TagScreen > Vertical { width: 70; height: auto; border: thick $accent; background: $surface; padding: 1 2; }
    """

    def __init__(self, label: str, tags: list[str], note: str):
        super().__init__()
        self.label, self.tags, self.note = label, tags, note

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(f"[b]{self.label}[/b]: tags (comma separated) and note; enter saves")
            yield Input(", ".join(self.tags), id="tags", placeholder="e.g. baseline, lr-sweep")
            yield Input(self.note, id="note", placeholder="a note")

    def on_input_submitted(self, _) -> None:
        tags = [t.strip() for t in self.query_one("#tags", Input).value.split(",") if t.strip()]
        self.dismiss((tags, self.query_one("#note", Input).value))

    def action_cancel(self) -> None:
        self.dismiss(None)
