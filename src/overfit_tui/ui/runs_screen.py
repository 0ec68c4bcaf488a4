"""The global Runs screen: every stored run across studies and sessions with its group, date
and tags, filtered by words (each must match: a label, status, device, data set, model, tag
or note contains it, or it is a whole part of a study or group name) and field terms over
specs and results (core/where.py: `train.lr>=0.01 params.p=1 final_test_acc<0.2
status:finished tag:paper`; a field no run has is named in the hint line with the nearest
one), marked with space.
The cursor stays on its run while the filter allows, else goes to the first match. Rows are
loaded in the background (ui/run_list.py) and shown a page at a time ([ and ] turn pages)."""

from __future__ import annotations

import re
import time

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, Static

from overfit_tui.core.errors import OverfitError
from overfit_tui.core.records import RunRecord
from overfit_tui.core.where import Where, getter, parse_where, split_query
from overfit_tui.runs.manage import NOTE_MAX, parse_tags
from overfit_tui.studies import STUDIES
from overfit_tui.ui.cache import RunCache
from overfit_tui.ui.run_list import Row, RunList, load_rows
from overfit_tui.ui.run_table import Column, RunTable
from overfit_tui.ui.tag_screen import TagScreen


def haystack(row: Row) -> tuple[str, set[str], tuple[str, str]]:
    """(free text, whole name parts, ids) of a run, lower case."""
    r = row.rec
    text = " ".join([r.status, r.label, r.device or "", row.data, row.model, " ".join(r.tags), r.notes]).lower()
    parts = set(re.split(r"[-_\s]+", f"{r.study} {r.group}".lower()))
    return text, parts, (r.id.lower(), r.group.lower())


def matches(row: Row, query: str) -> bool:
    """Every word matches: inside the free text, a whole part of the study or group name
    ('random' is not 'randomization'), or (with a digit or dash in it) the start of an id."""
    text, parts, ids = haystack(row)
    return all(
        w in text or w in parts or (_id_like(w) and any(i.startswith(w) for i in ids)) for w in query.lower().split()
    )


def _id_like(word: str) -> bool:
    """A pasted id or group prefix ('ab12', 'smoke-mnist1d-11'), not a plain word ('random')."""
    return len(word) >= 4 and any(c.isdigit() or c == "-" for c in word)


def headline(r: RunRecord) -> str:
    """A run's main result in words, from its study's essential fields ('test error 38.5%')."""

    s = r.summary
    if r.study not in STUDIES or not s:
        return "-"
    # a result has a better direction; a setting the study echoes (Du's width m) has none
    fields = [f for f in STUDIES.get(r.study).summary_fields if f.key in s and f.better]
    top = [f for f in fields if f.priority <= 1] or fields
    f = next((f for f in top if "test" in f.key), top[0] if top else None)
    return f"{f.label} {f.format(s[f.key])}" if f else "-"


class AllRunsTable(RunTable):
    """The run table with the columns a store-wide list needs: group, start date, tags, and
    each run's headline result (runs of different studies share no summary columns)."""

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.mixed_summary = ()

    def extra_cell(self, c: Column, r: RunRecord):
        if c.key == "result":
            return Text(headline(r), overflow="ellipsis", no_wrap=True)
        if c.key == "group":  # its end tells groups of one preset apart: cut in the middle
            g = r.group
            return g if len(g) <= c.width else g[: c.width - 12] + "…" + g[-11:]
        if c.key == "date":
            return time.strftime("%m-%d %H:%M", time.localtime(r.created or 0))
        if c.key == "tags":
            return Text(", ".join(r.tags) or "-", overflow="ellipsis", no_wrap=True)
        return ""


FILTER_S = 0.15  # the filter applies this long after the last key: a typed query redraws once, not per key

EXTRA = (
    Column("result", "result", 20, 2.5),
    Column("group", "group", 24, 3.5),
    Column("date", "started", 11, 4),
    Column("tags", "tags", 12, 6),
)


class RunsScreen(Screen):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("slash", "focus_filter", "Filter"),
        Binding("a", "mark_all", "Mark shown"),
        Binding("c", "compare", "Compare marked"),
        Binding("t", "tag", "Tags/note"),
        Binding("left_square_bracket", "page(-1)", "Prev page"),
        Binding("right_square_bracket", "page(1)", "Next page"),
    ]
    DEFAULT_CSS = """
    RunsScreen #hint { height: 1; color: $text-muted; padding: 0 1; }
    RunsScreen RunTable { height: 1fr; }
    """

    def __init__(self, cache: RunCache, marked: set[str]):
        super().__init__()
        self.cache, self.marked = cache, marked
        self.query_text = ""
        self._typing = None  # the pending redraw of a filter being typed
        self.query_error = ""  # why the field terms were not applied (one line), '' when they were
        self.list = RunList()

    def compose(self) -> ComposeResult:
        yield Header(icon="●")  # Textual's ⭘ has no glyph in common browser fonts (the served page)
        yield Input(
            placeholder="filter: words and fields, all must match: mlp train.lr>=0.01 final_test_acc<0.2 tag:paper",
            id="filter",
        )
        yield Static("", id="hint")
        yield AllRunsTable(self.marked, extra=EXTRA, id="all-runs")
        yield Footer()

    def on_mount(self) -> None:
        self.redraw()
        self.query_one(RunTable).focus()
        self._load()

    @work(thread=True, exclusive=True, group="runs-list")
    def _load(self) -> None:
        """Every run's row, newest groups first, a batch at a time (the store is read off the event loop)."""
        from textual.worker import get_current_worker

        worker = get_current_worker()
        for batch in load_rows(self.app.store):
            if worker.is_cancelled:
                return
            self.app.call_from_thread(self._add_rows, batch)
        self.app.call_from_thread(self._add_rows, [], True)

    def _add_rows(self, rows: list[Row], done: bool = False) -> None:
        self.list.add(rows)
        self.list.done |= done
        self.redraw()

    def shown(self) -> list[RunRecord]:
        self.list.live(self.cache.records)
        fields, words = split_query(self.query_text)
        where, self.query_error = Where(()), ""
        if fields:
            try:
                where = parse_where(fields, self.list.known())
            except OverfitError as e:  # the words still filter; the hint says what is wrong
                self.query_error = str(e)
        key = (self.query_text, self.query_error)
        return self.list.shown(lambda row: matches(row, words) and where.match(getter(row.fields)), key=key)

    def redraw(self) -> None:
        if not self.query("#hint"):  # not composed yet, or already leaving
            return
        rows = self.shown()
        total = sum(sum(e["counts"].values()) for e in self.cache.index.values())
        loading = "" if self.list.done else f" · loading {len(self.list.rows):,} of {total:,}"
        shown_ids = {r.id for r in rows}
        hidden = sum(1 for i in self.marked if i not in shown_ids)
        marked = f"{len(self.marked)} marked" + (f" ({hidden} hidden by the filter)" if hidden else "")
        hint = f"{self.list.where(len(rows))}{loading} · {marked} · space: mark · a: mark shown"
        if self.query_error:  # one line, in place of the hint: the query is what needs fixing
            hint = Text(self.query_error, style="bold red", no_wrap=True, overflow="ellipsis")
        self.query_one("#hint", Static).update(hint)
        self.query_one(RunTable).show(self.list.page_of(rows), self.cache)

    def action_page(self, step: int) -> None:
        self.list.page += step
        self.redraw()

    def on_input_changed(self, event: Input.Changed) -> None:
        """The filter as typed, applied FILTER_S after the last key (each application filters
        every loaded run and refills the table: per key, typing a query into 10,000 runs lagged)."""
        self.query_text = event.value
        if self._typing is not None:
            self._typing.stop()
        self._typing = self.set_timer(FILTER_S, self.redraw)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.query_one(RunTable).focus()  # enter: act on the matches

    def action_focus_filter(self) -> None:
        self.query_one("#filter", Input).focus()

    def action_compare(self) -> None:
        """Compare every marked run, the ones the filter hides too (the hint counts them): a mark
        is the user's choice, a filter only what is on screen now."""
        shown = [r.id for r in self.shown() if r.id in self.marked]
        ids = shown + sorted(i for i in self.marked if i in self.list.rows and i not in shown)
        if len(ids) < 1:
            self.notify("mark runs with space first (or a to mark every shown run)", severity="warning")
            return
        if len(ids) > len(shown):
            self.notify(f"comparing {len(ids)} marked runs ({len(ids) - len(shown)} hidden by the filter)")
        self.app.open_compare(ids)  # their records and curves are read off the event loop

    def action_tag(self) -> None:

        rid = self.query_one(RunTable).current_id()
        if not rid:
            return
        r = self.list.rows[rid].rec
        shown_tags, shown_note = list(r.tags), r.notes

        def save(result) -> None:
            if result is not None:
                tags, note = result
                self.list.put(r.replace(tags=tuple(tags), notes=note))
                self.redraw()
                self._save_tags(rid, shown_tags, tags, shown_note, note)

        self.app.push_screen(TagScreen(r.label, list(r.tags), r.notes), save)

    @work(thread=True, group="tags")
    def _save_tags(self, rid: str, before: list[str], tags: list[str], before_note: str, note: str) -> None:
        """Validated as the CLI validates them, written inside the store's lock, off the event loop, as
        a change (tags added and removed, the note if it was edited): a tag or note another command
        set meanwhile is kept."""

        try:
            add, _ = parse_tags(tags)
            if len(note) > NOTE_MAX:
                raise OverfitError(f"a note is at most {NOTE_MAX:,} characters")
        except OverfitError as e:
            self.app.call_from_thread(self.notify, str(e), severity="error")
            return

        added, removed = [t for t in add if t not in before], [t for t in before if t not in add]

        def edit(rec: dict) -> bool:
            cur = [t for t in rec.get("tags") or [] if t not in removed]
            rec["tags"] = cur + [t for t in dict.fromkeys(added) if t not in cur]
            if note != before_note:
                rec["notes"] = note
            return True

        self.app.store.modify_runs([rid], edit)

    def action_mark_all(self) -> None:
        self.marked.update(r.id for r in self.shown())
        self.query_one(RunTable).clear()
        self.redraw()
