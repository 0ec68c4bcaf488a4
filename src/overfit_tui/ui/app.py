"""The Textual app: a pane per study family, a global Runs screen, help, a command palette
entry per action, and a background feed of the store. Thin: all work is in the core, and
nothing that touches the store (launch, cancel, stop, restart) runs on the event loop."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.css.query import NoMatches
from textual.widgets import Footer, Header, Static, TabbedContent, TabPane
from textual.worker import get_current_worker

from overfit_tui.core.errors import OverfitError
from overfit_tui.core.paths import Home
from overfit_tui.core.presets import list_presets, preset_errors
from overfit_tui.core.records import RunRecord
from overfit_tui.core.status import Status
from overfit_tui.core.system import gpu_count
from overfit_tui.runs.feed import RunFeed
from overfit_tui.runs.manage import store_warnings
from overfit_tui.runs.queue import queue_positions, read_state, restart_if_waiting
from overfit_tui.store import Store
from overfit_tui.studies import STUDIES, get_study
from overfit_tui.studies.groups import checked_presets
from overfit_tui.ui.alerts import check_alerts
from overfit_tui.ui.cache import RunCache, restart_sources, snapshot
from overfit_tui.ui.commands import app_commands
from overfit_tui.ui.compare_screen import CompareScreen
from overfit_tui.ui.device_status import DeviceProbe
from overfit_tui.ui.messages import DeviceStatus, RestartsFound, StoreChanged
from overfit_tui.ui.run_actions import RunActions
from overfit_tui.ui.run_detail import RunDetailScreen
from overfit_tui.ui.run_table import RunTable
from overfit_tui.ui.runs_screen import RunsScreen
from overfit_tui.ui.scorecard_screen import ScorecardScreen
from overfit_tui.ui.screens import ConfirmScreen, HelpScreen
from overfit_tui.ui.study_pane import StudyPane
from overfit_tui.ui.view_settings import apply_theme
from overfit_tui.ui.workers import DaemonExecutor, writing

POLL_S = 0.4  # store/metric polling period of the background feed
REDRAW_S = 0.25  # at most 4 redraws a second, however fast workers log
LIVE_S = 2.0  # new metric events alone (runs training) redraw at most every 2 s: a redraw of
# a pane recomputes its figures and claims and re-renders its charts and table (~70 ms of CPU
# on 2 loaded cores: at 1 s the app took 6.5 % of a core while 2 runs trained, bench_app_cpu.py)


def pane_title(pane: str) -> str:
    """'double_descent' -> 'Double descent': a new study's pane needs no UI change."""
    return pane.replace("_", " ").capitalize()


def tab_titles(titles: list[str], width: int) -> list[str]:
    """Pane titles that all fit a tab bar `width` wide (a tab pads its label by one each side):
    in full, else their first words, else each cut to an even share; never scrolled out of view."""
    fits = lambda ts: sum(len(t) + 2 for t in ts) <= width
    if fits(titles):
        return titles
    first = [t.split()[0] for t in titles]
    if fits(first):
        return first
    # an even share, what short words leave over going to the long ones
    room, order, out = width - 2 * len(first), sorted(range(len(first)), key=lambda i: len(first[i])), list(first)
    for k, i in enumerate(order):
        share = max(3, room // (len(first) - k))
        out[i] = first[i] if len(first[i]) <= share else first[i][: share - 1] + "…"
        room -= len(out[i])
    return out


def panes() -> dict[str, tuple[str, ...]]:
    """Pane name -> the studies shown in it, in registry order."""
    out: dict[str, list[str]] = {}
    for name in STUDIES:
        out.setdefault(get_study(name).pane, []).append(name)
    return {k: tuple(v) for k, v in out.items()}


def newest_groups(index: dict[str, dict], panes: dict[str, tuple[str, ...]]) -> list[str]:
    """The newest group with runs of each pane's studies (what each pane shows first)."""
    out = []
    for studies in panes.values():
        mine = [g for g, e in index.items() if e["study"] in studies and sum(e["counts"].values())]
        if mine:
            out.append(max(mine, key=lambda g: index[g]["created"]))
    return out


class OverfitApp(RunActions, App):
    TITLE = "overfit-tui"
    CSS_PATH = "app.tcss"
    BINDINGS = [
        Binding("question_mark", "help", "Help"),
        Binding("r", "runs", "Runs"),
        Binding("S", "scorecard", "Scorecard", show=False),
        Binding("q", "quit_app", "Quit"),
        Binding("ctrl+q", "quit_app", "Quit", show=False, priority=True),
        # priority: digits switch panes whatever has focus, except a text field (check_action)
        *[Binding(str(i + 1), f"pane({i})", show=False, priority=True) for i in range(9)],
    ]

    def __init__(
        self,
        home: Path | None = None,
        data_dir: Path | None = None,
        preset: str | None = None,
        devices: list[str] | None = None,
        poll: bool = True,
    ):
        super().__init__()

        self.home = Home.resolve(home)
        self.store = Store(self.home)
        self.data_dir = Path(data_dir) if data_dir else self.home.data_dir
        self.start_preset = preset
        self.devices = devices
        self.cache = RunCache()
        self.marked: set[str] = set()
        self.panes = panes()
        self.presets = checked_presets(list_presets(self.home.presets_dir))  # yours first, bad ones with their error
        self._poll = poll
        self._stop = threading.Event()
        self._pending_open: str | None = None  # a run to open once its group is loaded
        self._polled = not poll  # the feed's first poll is done (set by its thread): panes draw data once
        self._live = False  # new events wait for their redraw (LIVE_S)
        self._drawn = 0.0  # monotonic time of the last redraw
        self._device_line = ""
        self.sub_title = _tilde(self.home.root)
        self.has_gpu = any(d.startswith("cuda") for d in devices) if devices else gpu_count() > 0
        self.pane_title = pane_title

    def on_load(self) -> None:
        # before any worker starts: quitting must not wait for a thread in a slow read
        asyncio.get_running_loop().set_default_executor(DaemonExecutor())

    def compose(self) -> ComposeResult:
        yield Header(icon="●")  # Textual's ⭘ has no glyph in common browser fonts (the served page)
        # only the pane on screen is built: each pane is a few hundred widgets to style and lay out
        # (every pane at once was most of the first screen's CPU); the others build when first shown
        first = self._start_pane()
        with TabbedContent(id="tabs", initial=f"pane-{first}"):
            for pane in self.panes:
                with TabPane(pane_title(pane), id=f"pane-{pane}"):
                    if pane == first:
                        sp = self._study_pane(pane)
                        if any(p.name == self.start_preset for p in sp.presets):
                            sp.start_preset = self.start_preset  # its form is built once, for this preset
                        yield sp
        yield Static("", id="device-bar")
        yield Footer()

    def _start_pane(self) -> str:
        """The pane the app opens on: the start preset's, else the first."""
        study = next((p.study for p in self.presets if p.name == self.start_preset), None)
        return next((pane for pane, studies in self.panes.items() if study in studies), next(iter(self.panes)))

    def _study_pane(self, pane: str) -> StudyPane:
        studies = self.panes[pane]
        ps = sorted((p for p in self.presets if p.study in studies and not p.error), key=lambda p: p.mine)
        return StudyPane(pane, studies, ps, self.cache, self.marked, self.has_gpu, id=f"study-{pane}")

    def study_pane(self, pane: str) -> StudyPane:
        """Pane `pane`'s StudyPane, mounted now if it was never shown. A new one is in the DOM at
        once but composes in its own task: run what needs its widgets through `when_built`."""
        try:
            return self.query_one(f"#study-{pane}", StudyPane)
        except NoMatches:
            sp = self._study_pane(pane)
            self.query_one(f"#pane-{pane}", TabPane).mount(sp)
            sp.call_later(setattr, self.cache, "dirty", True)  # its first redraw, once it is built
            return sp

    def switch_to(self, pane: str) -> StudyPane:
        """Show pane `pane` (built now if it never was)."""
        sp = self.study_pane(pane)
        focused = self.focused
        if not sp.is_mounted or (focused is not None and sp not in focused.ancestors_with_self):
            # a widget focused in the pane being hidden hands focus to a sibling there, and that
            # pane's tab takes the screen back (a preset of a built pane picked from another pane
            # left the other on screen)
            self.set_focus(None)
        self.query_one("#tabs", TabbedContent).active = f"pane-{pane}"
        return sp

    @staticmethod
    def when_built(sp: StudyPane, callback, *args) -> None:
        """Call `callback(*args)` now if `sp` is mounted, else once its compose and on_mount ran
        (a callback queued on the pane itself runs after them)."""
        if sp.is_mounted:
            callback(*args)
        else:
            sp.call_later(callback, *args)

    def on_mount(self) -> None:
        apply_theme(self)  # the settings file's theme (core/config.py)

        for w in store_warnings(self.store):  # a damaged store set aside, unreadable records
            self.notify(w, severity="error", timeout=30, markup=False)
        for e in preset_errors(self.presets):  # a bad preset of yours: file, key, reason; the others list
            self.notify(e, severity="error", timeout=30, markup=False)
        pane = self.active_pane()
        if pane is not None:
            pane.focus_view()  # pane keys work at once, not after a tab away from the tab bar
        self.set_interval(REDRAW_S, self._redraw_if_dirty)
        pane = self.active_pane()
        self._first_pane = pane.pane_name if pane is not None else ""
        if self._poll:
            self.feed()
            self.device_feed()

    def on_resize(self) -> None:
        tabs = self.query_one("#tabs", TabbedContent)
        for pane, title in zip(self.panes, tab_titles([pane_title(p) for p in self.panes], self.size.width - 2)):
            tab = tabs.get_tab(f"pane-{pane}")
            if tab.label_text != title:
                tab.label = title

    def on_unmount(self) -> None:
        self._stop.set()  # lets the feed threads end, however the app is closed
        self.cache.wake.set()

    # -- background work ---------------------------------------------------------
    @work(thread=True, exclusive=True, group="feed")
    def feed(self) -> None:
        """The store's changes, as messages: the index, the groups on screen (and active ones), new events."""

        feed = RunFeed(self.store, groups=())
        worker = get_current_worker()
        try:  # a scheduler killed while runs waited: the app's start restarts it
            restart_if_waiting(self.store)
        except OverfitError as e:
            self.call_from_thread(self.notify, str(e), severity="error")
        try:  # the newest group of the pane on screen comes with the first poll: the first screen in one step
            first = newest_groups(self.store.index(), {"": self.panes.get(self._first_pane, ())})
        except OverfitError:
            first = []
        self.call_from_thread(self.cache.want, *first)  # the cache changes on the event loop only
        restarts: dict = {}
        while not worker.is_cancelled and not self._stop.is_set():
            feed.want(self.cache.wanted(), only=True)
            try:
                batch = feed.poll()
                if batch and batch.index is not None:
                    found = restart_sources(self.store, batch.index, restarts)
                    if found != restarts:
                        restarts = found
                        self.post_message(RestartsFound(found))  # before the batch: no frame lists a restart alone
            except OverfitError as e:
                self.call_from_thread(self.notify, str(e), severity="error")
                batch = None
            if batch:
                self.post_message(StoreChanged(batch))
            self._polled = True
            self.cache.wake.wait(POLL_S)  # a view that wants a group not loaded yet wakes it early
            self.cache.wake.clear()

    @work(thread=True, exclusive=True, group="devices")
    def device_feed(self) -> None:

        probe = DeviceProbe()
        worker = get_current_worker()
        while not self._stop.is_set() and not worker.is_cancelled:
            counts: dict[str, int] = {}
            workers: dict[str, set] = {}
            worker_runs: dict[int, list[str]] = {}  # pid -> its runs: the GPU memory each worker holds
            records = list(self.cache.records.values())
            for r in records:
                if r.status == Status.RUNNING and r.device:
                    counts[r.device] = counts.get(r.device, 0) + 1
                    workers.setdefault(r.device, set()).add(r.pid)
                    if r.pid:
                        worker_runs.setdefault(r.pid, []).append(r.id)
            line, pos = probe.line(counts, {d: len(w) for d, w in workers.items()}, worker_runs), {}
            if any(r.status == Status.QUEUED for r in records):
                try:
                    pos = queue_positions(self.store)
                    paused = " (paused: `overfit-tui queue resume`)" if read_state(self.store.home).paused else ""
                    line += f"  ·  queue: {len(set(pos.values()))} waiting{paused}"
                except OverfitError:
                    pass
            self.post_message(DeviceStatus(line, pos))
            self._stop.wait(2.0)

    def on_store_changed(self, msg: StoreChanged) -> None:
        b = msg.batch
        if b.index is not None:
            self.cache.set_index(b.index)
        for gid, records in b.groups.items():
            self.cache.set_group(gid, records)
        for gid in b.gone - set(self.cache.wanted()):
            self.cache.drop_group(gid)
        if b.events:
            dirty = self.cache.dirty
            self.cache.add_events(b.events)
            if b.index is None and not b.groups and not b.gone:  # only curves grew: drawn within LIVE_S
                self.cache.dirty, self._live = dirty, True
        check_alerts(self)  # runs that ended or stalled, verdicts that changed: notifications
        if self._pending_open in self.cache.records:
            self.push_screen(RunDetailScreen(self._pending_open, self.cache))
            self._pending_open = None

    def on_restarts_found(self, msg: RestartsFound) -> None:
        self.cache.set_restarts(msg.restarts)

    def on_device_status(self, msg: DeviceStatus) -> None:
        if msg.text != self._device_line:
            lines_changed = str(msg.text).count("\n") != str(self._device_line or "").count("\n")
            self._device_line = msg.text
            for bar in self.query("#device-bar").results(Static):  # none while the app closes
                # a line per device: the screen is laid out again only when the bar's height changes
                bar.update(msg.text, layout=lines_changed)
        if msg.queue is not None and msg.queue != self.cache.queue_pos:
            self.cache.queue_pos, self.cache.dirty = msg.queue, True

    def _redraw_if_dirty(self) -> None:
        if self._live and time.monotonic() - self._drawn >= LIVE_S:
            self.cache.dirty = True
        if not self.cache.dirty or not self._polled:  # before the first poll: an empty pane drawn for nothing
            return
        self.cache.dirty, self._live, self._drawn = False, False, time.monotonic()
        with self.batch_update():
            pane = self.active_pane()
            if pane is not None and pane.is_mounted:  # a pane being built redraws once built
                pane.redraw()
            screen = self.screen
            if hasattr(screen, "redraw") and screen is not self.screen_stack[0] and screen.is_mounted:
                try:
                    screen.redraw()
                except NoMatches:  # a screen between compose and mount, or being removed
                    self.cache.dirty = True

    def active_pane(self) -> StudyPane | None:
        if not self.is_running:  # shutting down: a timer that fires now finds the panes half removed
            return None
        active = self.query_one("#tabs", TabbedContent).active
        if not active:
            return None
        return self.study_pane(active.removeprefix("pane-"))

    def on_tabbed_content_tab_activated(self, _) -> None:
        self.cache.dirty = True
        pane = self.active_pane()  # built on its first showing
        if pane is not None:
            self.when_built(pane, self.call_after_refresh, self._focus_into, pane)

    def _focus_into(self, pane: StudyPane) -> None:
        """Focus the pane's view unless focus is in the pane already: a widget focused there
        before this (late) activation keeps it (a click on the run table just after start-up
        was taken back to the presets)."""
        focused = self.focused
        if focused is None or pane not in focused.ancestors_with_self:
            pane.focus_view()

    def check_action(self, action: str, parameters) -> bool | None:
        from textual.widgets import Input

        # a digit typed into a text field, or pressed over another screen, is not a pane switch
        return not (action == "pane" and (isinstance(self.focused, Input) or self.screen is not self.screen_stack[0]))

    def on_run_table_open(self, msg: RunTable.Open) -> None:
        if msg.run_id in self.cache.records:
            self.push_screen(RunDetailScreen(msg.run_id, self.cache))
        else:
            self._open_later(msg.run_id)

    @work(thread=True, group="open")
    def _open_later(self, run_id: str) -> None:
        """A run whose group is not loaded (a row of the Runs screen): load the group, then open it."""
        rec = self.store.get_run(run_id)
        if rec is not None:
            self._pending_open = run_id
            self.call_from_thread(self.cache.want, rec.group)  # the cache changes on the event loop only

    def open_compare(self, run_ids: list[str]) -> None:
        """The Compare screen of these runs: on the live cache when they are all loaded (it follows
        them), else on a snapshot whose records and curves are read off the event loop."""

        recs = [self.cache.records.get(i) for i in run_ids]
        if all(r is not None and self.cache.loaded(r.group) for r in recs):
            self.push_screen(CompareScreen(self.cache, run_ids, self.home.root / "exports"))
        else:
            self._compare_snapshot(run_ids)

    def record(self, run_id: str) -> RunRecord | None:
        """A run's record as the app has it: loaded in the cache, or a row of the Runs screen."""
        row = getattr(getattr(self.screen, "list", None), "rows", {}).get(run_id)
        return self.cache.records.get(run_id) or (row.rec if row is not None else None)

    @work(thread=True, exclusive=True, group="compare")
    def _compare_snapshot(self, run_ids: list[str]) -> None:

        snap = snapshot(self.store, run_ids, self.cache)
        self.call_from_thread(self.push_screen, CompareScreen(snap, run_ids, self.home.root / "exports"))

    # -- actions ---------------------------------------------------------------------
    def action_help(self) -> None:
        self.push_screen(HelpScreen(len(self.panes)))

    def action_pane(self, i: int) -> None:
        names = list(self.panes)
        if i < len(names):
            self.switch_to(names[i])  # in the DOM before the tab switches: active_pane() has it at once

    def action_runs(self) -> None:

        self.push_screen(RunsScreen(self.cache, self.marked))

    def action_scorecard(self) -> None:

        if not isinstance(self.screen, ScorecardScreen):
            self.push_screen(ScorecardScreen(self.store, self.home.root / "exports"))

    def action_quit_app(self) -> None:
        active = [r for r in self.cache.records.values() if r.active]
        if not active:
            self._leave()
            return

        def answer(choice: str | None) -> None:
            if choice == "stop":
                self.notify("stopping the runs ...")
                self._stop_and_leave()
            elif choice == "leave":
                self._leave()

        self.push_screen(
            ConfirmScreen(
                f"{len(active)} run(s) are queued or running.",
                [("leave", "Leave them running"), ("stop", "Stop them"), ("cancel", "Back")],
            ),
            answer,
        )

    @work(thread=True, group="quit")
    def _stop_and_leave(self) -> None:
        from overfit_tui.runs.launcher import stop_running  # lazy: launching imports the studies' runners (torch)

        stop_running(self.store)
        self.call_from_thread(self._leave)

    def _leave(self) -> None:
        """Exit now: reading threads are dropped (daemons), the runs go on under the detached
        scheduler; only a launch or cancel still writing is waited for, with the screen up."""
        self._stop.set()
        self.cache.wake.set()
        busy = writing(self.workers)
        if not busy:
            self.exit()
            return
        self.notify(f"finishing {', '.join(sorted({w.group for w in busy}))} before quitting ...")

        async def exit_when_written() -> None:
            await self.workers.wait_for_complete(busy)
            self.exit()

        self.run_worker(exit_when_written(), group="quit-wait")

    def get_system_commands(self, screen):

        yield from app_commands(self, screen)

    def _show_preset(self, name: str) -> StudyPane | None:
        """Switch to the pane of preset `name` and select it there."""
        study = next((p.study for p in self.presets if p.name == name), None)
        for pane, studies in self.panes.items():
            if study in studies:
                sp = self.switch_to(pane)
                self.when_built(sp, sp.select_preset, name)
                return sp
        return None

    def launch_preset(self, name: str) -> None:
        sp = self._show_preset(name)
        if sp is not None:
            self.when_built(sp, sp.launch)


def _tilde(path: Path) -> str:
    """The store's path for the header, with the user's home as ~."""
    try:
        return "~/" + str(path.relative_to(Path.home()))
    except ValueError:
        return str(path)


def make_app(home: Path | None = None, data_dir: Path | None = None, preset: str | None = None, **kw) -> OverfitApp:
    return OverfitApp(home=home, data_dir=data_dir, preset=preset, **kw)
