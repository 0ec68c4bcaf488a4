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
    parts = [
        r["id"],
        r["group"],
        r["study"],
        r["status"],
        r["label"],
        r.get("device") or "",
        spec.get("data", {}).get("name", ""),
        spec.get("model", {}).get("name", ""),
        " ".join(r.get("tags") or []),
        r.get("notes") or "",
    ]
    return " ".join(parts).lower()


def matches(r: dict, query: str) -> bool:
    return all(word in haystack(r) for word in query.lower().split())


class RunsScreen(Screen):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("slash", "focus_filter", "Filter"),
        Binding("a", "mark_all", "Mark shown"),
        Binding("c", "compare", "Compare marked"),
        Binding("t", "tag", "Tags/note"),
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
        yield Input(
            placeholder="filter: words that must all match (study, data, model, status, tag, text)", id="filter"
        )
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

    def action_compare(self) -> None:
        from overfit_tui.ui.compare_screen import CompareScreen

        ids = [r["id"] for r in self.shown() if r["id"] in self.marked] or [
            i for i in self.marked if i in self.cache.records
        ]
        if len(ids) < 1:
            self.notify("mark runs with space first (or a to mark every shown run)", severity="warning")
            return
        self.app.push_screen(CompareScreen(self.cache, ids, self.app.home.root / "exports"))

    def action_tag(self) -> None:
        from overfit_tui.ui.tag_screen import TagScreen

        rid = self.query_one(RunTable).current_id()
        if not rid:
            return
        r = self.cache.records[rid]

        def save(result) -> None:
            if result is not None:
                tags, note = result
                self.app.store.update_run(rid, tags=tags, notes=note)
                r["tags"], r["notes"] = tags, note
                self.redraw()

        self.app.push_screen(TagScreen(r["label"], list(r.get("tags") or []), r.get("notes") or ""), save)

    def action_mark_all(self) -> None:
        self.marked.update(r["id"] for r in self.shown())
        self.query_one(RunTable).clear()
        self.redraw()
