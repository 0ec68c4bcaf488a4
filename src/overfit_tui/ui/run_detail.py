"""One run in full: what it is (group, study, status, times), its summary numbers rounded,
its spec and provenance as key/value lines, its error if any, its curves (m cycles), its
latest evaluations and the tail of the worker log it writes to (read off the event loop;
a stacked run says which runs share its job's log)."""

from __future__ import annotations

import time
from pathlib import Path

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from overfit_tui.core.records import RunRecord
from overfit_tui.export.compare import flatten
from overfit_tui.studies import field_for
from overfit_tui.ui.cache import RunCache
from overfit_tui.ui.charts import METRICS, ChartPanel, curves_figure
from overfit_tui.ui_text import duration, pct


def _section(title: str, rows: list[tuple[str, object]]) -> Table:
    t = Table.grid(padding=(0, 1))
    t.add_column(style="dim", no_wrap=True)
    t.add_column(overflow="fold")
    t.title, t.title_justify, t.title_style = title, "left", "bold"
    for k, v in rows:
        t.add_row(k, v if isinstance(v, Text) else Text(str(v)))
    return t


def _when(ts) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts)) if ts else "-"


def info(r: RunRecord) -> Group:
    """The left column: run, summary, spec, provenance, error."""
    ran = (r.ended or time.time()) - r.started if r.started else None
    head = [
        ("id", r.id),
        ("label", r.label),
        ("group", r.group),
        ("study", r.study),
        ("preset", r.preset or "-"),
        ("status", r.status),
        ("device", r.device or "-"),
        ("started", _when(r.started)),
        ("ended", _when(r.ended)),
        ("ran for", duration(ran) if ran else "-"),
        ("spec hash", r.spec_hash or "-"),
    ]
    if r.tags or r.notes:
        head += [("tags", ", ".join(r.tags) or "-"), ("note", r.notes or "-")]
    summary = [(field_for(r.study, k).header, field_for(r.study, k).format(v)) for k, v in r.summary.items()]
    spec = [(k, _plain(v)) for k, v in flatten(r.spec_data).items() if k not in ("study", "label")]
    prov = [(k, _plain(v)) for k, v in sorted(r.provenance.items())]
    parts = [_section("run", head), Text(""), _section("summary", summary or [("", "(none yet)")]), Text("")]
    parts += [_section("spec", spec), Text(""), _section("provenance", prov or [("", "(not started)")])]
    if r.error:
        parts += [Text(""), Text("error", style="bold red"), Text(r.error)]
    return Group(*parts)


def _plain(v) -> str:
    if isinstance(v, float):
        return f"{v:.6g}"
    if isinstance(v, tuple):
        return "[" + ", ".join(_plain(x) for x in v) + "]"
    return "-" if v is None else str(v)


def recent_evals(events: list[dict], n: int = 5) -> list[str]:
    evs = [e for e in events if e.get("kind") == "eval"][-n:]
    return [
        f"epoch {e['epoch']:g} · step {e['step']} · train {pct(e['train_acc'])} (loss {e['train_loss']:.3g})"
        f" · test {pct(e['test_acc'])} (loss {e['test_loss']:.3g})"
        for e in evs
    ]


class RunDetailScreen(Screen):
    BINDINGS = [Binding("escape,q", "app.pop_screen", "Back"), Binding("m", "cycle", "Metric")]
    DEFAULT_CSS = """
    RunDetailScreen #info { width: 2fr; max-width: 64; border-right: tall $panel; padding: 0 1; }
    RunDetailScreen #right { width: 3fr; }
    RunDetailScreen ChartPanel { height: 1fr; min-height: 8; }
    RunDetailScreen #log { height: auto; max-height: 14; padding: 0 1; color: $text-muted; }
    """

    def __init__(self, run_id: str, cache: RunCache):
        super().__init__()
        self.run_id, self.cache, self.metric = run_id, cache, 0

    def compose(self) -> ComposeResult:
        r = self.cache.records[self.run_id]
        yield Header(icon="●")  # Textual's ⭘ has no glyph in common browser fonts (the served page)
        with Horizontal():
            with VerticalScroll(id="info"):
                yield Static(info(r))
            with Vertical(id="right"):
                yield ChartPanel("no curves: this study records points, see the summary", id="chart")
                yield Static("reading the worker log ...", id="log", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = self.cache.records[self.run_id].label
        self.redraw()
        self.read_log()

    def redraw(self) -> None:
        runs = self.cache.run_data([self.cache.records[self.run_id]])
        self.query_one(ChartPanel).show(curves_figure(runs, self.metric), hint="m: metric")

    @work(thread=True, exclusive=True, group="log")
    def read_log(self) -> None:
        r = self.cache.records[self.run_id]
        lines = []
        evals = recent_evals(self.cache.events.get(self.run_id, []))
        if evals:
            lines += ["latest evaluations:", *evals, ""]
        log = r.log
        shared = [x.label for x in self.cache.records.values() if x.id != r.id and log and x.log == log]
        if not log or not Path(log).exists():
            lines.append("no worker log: the run has not started, or was imported")
        else:
            text = Path(log).read_text(errors="replace").splitlines()
            where = f"worker log {log}"
            if shared:
                where += f" (this run trained stacked with {len(shared)} other run(s) of its group: one job, one log)"
            lines.append(where)
            lines += text[-8:] if text else ["(empty: workers write only warnings and errors here)"]
        self.app.call_from_thread(self.query_one("#log", Static).update, "\n".join(lines))

    def action_cycle(self) -> None:
        self.metric = (self.metric + 1) % len(METRICS)
        self.redraw()
