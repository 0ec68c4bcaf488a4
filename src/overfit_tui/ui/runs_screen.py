"""The global Runs screen: every stored run across studies and sessions, filtered by free
text (study, data set, model, status, group, tag, label), marked with space."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, Static

from overfit_tui.ui.cache import RunCache
from overfit_tui.ui.run_table import RunTable


def haystack(r: dict) -> str:
    spec = r.get("spec", {})
    parts = [r["id"], r["group"], r["study"], r["status"], r["label"], r.get("device") or "",
             spec.get("data", {}).get("name", ""), spec.get("model", {}).get("name", ""),
             " ".join(r.get("tags") or []), r.get("notes") or ""]  # fmt: skip
    return " ".join(parts).lower()


def matches(r: dict, query: str) -> bool:
    return all(word in haystack(r) for word in query.lower().split())


class RunsScreen(Screen):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("slash", "focus_filter", "Filter"),
        Binding("a", "mark_all", "Mark shown"),
    ]
    DEFAULT_CSS = """
    RunsScreen #filter { dock: top; }
    RunsScreen #hint { height: 1; color: $text-muted; padding: 0 1; }
    RunsScreen RunTable { height: 1fr; }
    """

    def __init__(self, cache: RunCache, marked: set[str]):
        super().__init__()
        self.cache, self.marked = cache, marked
        self.query_text = ""

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(placeholder="filter: words that must all match (study, data, model, status, tag, text)", id="filter")
        yield Static("", id="hint")
        yield RunTable(self.marked, id="all-runs")
        yield Footer()

    def on_mount(self) -> None:
        self.redraw()
        self.query_one(RunTable).focus()

    def shown(self) -> list[dict]:
        rs = [r for r in self.cache.records.values() if matches(r, self.query_text)]
        return sorted(rs, key=lambda r: (-(r.get("created") or 0), r.get("index", 0)))

    def redraw(self) -> None:
        rows = self.shown()
        self.query_one("#hint", Static).update(
            f"{len(rows)} of {len(self.cache.records)} runs · {len(self.marked)} marked · space: mark · a: mark shown"
        )
        self.query_one(RunTable).show(rows, self.cache)

    def on_input_changed(self, event: Input.Changed) -> None:
        self.query_text = event.value
        self.redraw()

    def action_focus_filter(self) -> None:
        self.query_one("#filter", Input).focus()

    def action_mark_all(self) -> None:
        self.marked.update(r["id"] for r in self.shown())
        self.query_one(RunTable).clear()
        self.redraw()
