"""Modal screens: keyboard help (built from the key lists below), and a question with a
few answers (quit with runs in flight, download a data set, cancel a group)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

GLOBAL_KEYS = [
    ("?", "this help"),
    ("ctrl+p", "command palette: every action"),
    ("1 … {n}", "the study panes"),
    ("r", "all runs: filter, compare, tag"),
    ("S", "scorecard: every study's claims, report (e)"),
    ("q / ctrl+q", "quit (asks about runs in flight)"),
]
SECTIONS = [
    (
        "study pane",
        [
            ("↑ ↓ enter", "pick a preset, run it"),
            ("m", "next curve metric"),
            ("f", "next study figure"),
            ("s", "EMA smoothing on/off"),
            ("l", "log y on/off"),
            ("b", "seed band: 95 % CI, s.e., s.d., min-max"),
            ("o", "run table columns (saved, like m s l b)"),
            ("g", "next group of runs"),
            ("n", "a heatmap's numbers on/off"),
            ("c", "the group's claims: ✓ holds ✗ fails … pending"),
            ("v", "form / charts / runs (narrow)"),
            ("tab", "presets, run table, figure table, tab bar"),
            ("e", "edit the form (tab: next field, esc: back)"),
        ],
    ),
    (
        "run tables",
        [
            ("↑ ↓", "pick a run: its curve stands out"),
            ("space", "mark for comparison"),
            ("enter", "the run's details"),
            ("x", "cancel the run"),
            ("X", "cancel its group (asks)"),
            ("R", "restart a stopped run"),
        ],
    ),
    (
        "runs screen (r)",
        [("/", "filter by words"), ("a", "mark every shown run"), ("c", "compare the marked"), ("t", "tags, note")],
    ),
    (
        "compare screen",
        [
            ("v", "curves / metric vs setting / hparams"),
            ("m", "metric"),
            ("a", "x: step, epoch, wall"),
            ("s l", "smoothing, log y"),
            ("y x", "summary field (y), spec key (x)"),
            ("b", "band: 95 % CI, s.e., s.d., min-max"),
            ("o O", "sort by next column, reverse"),
            ("e", "export all + figures"),
        ],
    ),
]
FOOTNOTE = (
    "Runs train in background processes: quitting never loses a finished result, "
    "and runs left running keep recording; reopen the app to see them."
)


def help_text(n_panes: int, width: int):
    """The keys as a Rich renderable: two columns of sections when `width` allows, else one;
    a description that must wrap does so inside its own cell, under itself."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    def section(title: str, pairs) -> Table:
        t = Table.grid(padding=(0, 1))
        t.add_column(style="bold", no_wrap=True, min_width=10)
        t.add_column()
        t.title, t.title_justify, t.title_style = title, "left", "bold"
        for k, what in pairs:
            t.add_row(k.format(n=n_panes), what)
        return t

    blocks = [section("everywhere", GLOBAL_KEYS), *(section(t, p) for t, p in SECTIONS)]
    grid = Table.grid(padding=(0, 3))
    cols = 2 if width >= 84 else 1
    for _ in range(cols):
        grid.add_column(ratio=1)
    for i in range(0, len(blocks), cols):
        grid.add_row(*blocks[i : i + cols])
        grid.add_row(*[""] * cols)
    return Group(grid, Text(FOOTNOTE, style="dim"))


class HelpScreen(ModalScreen):
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close")]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 96; max-width: 100%; height: 90%; border: round $accent;
        background: $surface; padding: 0 1; }
    """

    def __init__(self, n_panes: int):
        super().__init__()
        self.n_panes = n_panes

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(id="help")

    def on_resize(self) -> None:
        width = min(96, self.size.width) - 4
        self.query_one("#help", Static).update(help_text(self.n_panes, width))

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
