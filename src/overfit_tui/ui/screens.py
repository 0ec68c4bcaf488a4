"""Modal and full screens: keyboard help, quit-with-runs, download confirmation, run detail."""

from __future__ import annotations

import json
from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Footer, Label, Static

from overfit_tui.ui.cache import RunCache
from overfit_tui.ui.charts import METRICS, FigureChart, curves_figure

HELP = """\
[b]overfit-tui[/b]: keys

[b]everywhere[/b]
  ?          this help            ctrl+p   command palette
  1 … 9      study panes          r        all runs (compare, filter)
  q          quit (asks about running runs)

[b]study pane[/b]
  ↑ ↓ enter  pick a preset / run it (or the Run button)
  m          cycle the curve metric (train loss, accuracies, test loss)
  f          cycle the study's figure       g   cycle the group shown
  s          EMA smoothing on/off           l   log-scale y on/off
  tab        move between presets, form, run table

[b]run tables[/b]
  space      mark a run          enter    run details
  x          cancel the run      X        cancel its whole group
  R          restart a failed, diverged, cancelled or lost run from its spec

[b]runs screen[/b] (r)
  /          filter (words: study, data, model, status, tag, text)
  a          mark every shown run           c   compare the marked runs
  t          edit tags and note of the run

[b]compare screen[/b]
  m          metric       a   align x by step / epoch / wall time
  s          smoothing    e   export CSV, JSON, Markdown, SVG

Runs train in background processes: quitting the app never loses a finished
result, and runs you leave running keep recording; reopen the app to see them.
"""


class HelpScreen(ModalScreen):
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close")]
    DEFAULT_CSS = "HelpScreen { align: center middle; } HelpScreen > VerticalScroll { width: 76; height: 80%; border: round $accent; background: $surface; padding: 0 1; }"

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(HELP)

    def action_dismiss(self) -> None:
        self.dismiss(None)


class ConfirmScreen(ModalScreen[str]):
    """A question with a few answers; dismisses with the chosen answer's id."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]
    DEFAULT_CSS = """
    ConfirmScreen { align: center middle; }
    ConfirmScreen > Vertical { width: 70; height: auto; border: thick $warning; background: $surface; padding: 1 2; }
    ConfirmScreen Horizontal { height: auto; margin-top: 1; }
    ConfirmScreen Button { margin-right: 2; }
    """

    def __init__(self, question: str, answers: list[tuple[str, str]]):
        super().__init__()
        self.question, self.answers = question, answers

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.question)
            with Horizontal():
                for i, (aid, text) in enumerate(self.answers):
                    yield Button(text, id=aid, variant="primary" if i == 0 else "default")

    def on_mount(self) -> None:
        self.query(Button).first().focus()  # enter takes the first answer: the one offered as the default

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id)

    def action_cancel(self) -> None:
        self.dismiss("cancel")


class RunDetailScreen(Screen):
    """One run: spec, provenance, summary, log tail and every curve."""

    BINDINGS = [Binding("escape,q", "app.pop_screen", "Back"), Binding("m", "cycle", "Metric")]
    DEFAULT_CSS = """
    RunDetailScreen #info { width: 60; border-right: tall $panel; }
    RunDetailScreen #chart { height: 1fr; }
    RunDetailScreen #log { height: 12; border-top: tall $panel; }
    """

    def __init__(self, run_id: str, cache: RunCache):
        super().__init__()
        self.run_id, self.cache, self.metric = run_id, cache, 0

    def compose(self) -> ComposeResult:
        r = self.cache.records[self.run_id]
        info = {k: r.get(k) for k in ("id", "group", "study", "label", "status", "device", "spec_hash", "preset")}
        text = (
            "[b]run[/b]\n"
            + json.dumps(info, indent=1)
            + "\n\n[b]summary[/b]\n"
            + json.dumps(r.get("summary"), indent=1)
            + "\n\n[b]spec[/b]\n"
            + json.dumps(r["spec"], indent=1)
            + "\n\n[b]provenance[/b]\n"
            + json.dumps(r.get("provenance"), indent=1)
            + (f"\n\n[b]error[/b]\n{r['error']}" if r.get("error") else "")
        )
        with Horizontal():
            with VerticalScroll(id="info"):
                yield Static(_escape(text))
            with Vertical():
                yield FigureChart(id="chart")
                yield Static(self._log_tail(r), id="log", markup=False)
        yield Footer()

    def _log_tail(self, r: dict) -> str:
        log = r.get("log")
        if not log or not Path(log).exists():
            return "(no worker log yet)"
        lines = Path(log).read_text(errors="replace").splitlines()[-10:]
        return "worker log: " + log + "\n" + "\n".join(lines)

    def on_mount(self) -> None:
        self.redraw()

    def redraw(self) -> None:
        runs = self.cache.run_data([self.cache.records[self.run_id]])
        self.query_one(FigureChart).show(curves_figure(runs, self.metric))

    def action_cycle(self) -> None:
        self.metric = (self.metric + 1) % len(METRICS)
        self.redraw()


def _escape(text: str) -> str:
    return text.replace("[", "\\[").replace("\\[b]", "[b]").replace("\\[/b]", "[/b]")
