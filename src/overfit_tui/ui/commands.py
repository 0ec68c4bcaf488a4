"""The command palette (ctrl+p): every action of the screen in front, named as the help
names it, plus presets to run and the panes to switch to. Built fresh each time the
palette opens, so it lists what applies to the focused screen and run."""

from __future__ import annotations

from textual.app import SystemCommand

from overfit_tui.ui.compare_screen import CompareScreen
from overfit_tui.ui.measures_screen import open_measures
from overfit_tui.ui.run_table import RunTable
from overfit_tui.ui.runs_screen import RunsScreen
from overfit_tui.ui.study_pane import StudyPane, needs_gpu


def app_commands(app, screen):
    """Yield the SystemCommands of `app` for `screen` (the palette's own Quit replaced by ours)."""

    for c in _textual_commands(app, screen):
        if c.title != "Quit":
            yield c
    yield SystemCommand("Help: keys", "Show every key", app.action_help)
    yield SystemCommand("Runs", "All stored runs: filter, mark, compare, tag", app.action_runs)
    yield SystemCommand(
        "Complexity measures on marked runs",
        "Norms, margins, spectral bound, sharpness of the marked runs' nets, ranked against their gap (e exports)",
        lambda: open_measures(app),
    )
    yield SystemCommand("Scorecard (S)", "Every study's claims, checked on its latest group", app.action_scorecard)
    for i, name in enumerate(app.panes):
        yield SystemCommand(
            f"Pane: {app.pane_title(name)}", f"Switch to the pane (key {i + 1})", lambda i=i: app.action_pane(i)
        )

    for p in app.presets:  # the papers' GPU setups are one keystroke only where a GPU is
        if app.has_gpu or not needs_gpu(p):
            yield SystemCommand(
                f"Run preset: {p.name}", p.description or p.study, lambda p=p: app.launch_preset(p.name)
            )
    pane = app.active_pane() if screen is app.screen_stack[0] else None
    if isinstance(pane, StudyPane):
        yield SystemCommand("Chart: next metric (m)", "Cycle the curve metric", pane.action_cycle_metric)
        yield SystemCommand("Chart: next figure (f)", "Cycle the study figure", pane.action_cycle_figure)
        yield SystemCommand("Chart: smoothing (s)", "EMA smoothing of the curves on/off", pane.action_toggle_smoothing)
        yield SystemCommand("Chart: log y (l)", "Log-scale y on/off", pane.action_toggle_log)
        yield SystemCommand("Claims (c)", "The group's paper claims, checked on its runs", pane.action_claims)
        yield SystemCommand("Chart: next group (g)", "Show the pane's next group of runs", pane.action_cycle_group)
        yield SystemCommand("View: next (v)", "Form, charts or runs (narrow terminals)", pane.action_cycle_view)
        if pane.current_group():
            yield SystemCommand(
                "Group: compare",
                "Compare every run of the group shown (export from there: e)",
                pane.action_compare_group,
            )
    table = _table(app, screen)
    if table is not None and table.current_id():
        yield SystemCommand("Run: cancel (x)", "Cancel the run under the cursor", table.action_cancel_run)
        yield SystemCommand("Run: cancel group (X)", "Cancel every run of its group", table.action_cancel_group)
        yield SystemCommand("Run: restart (R)", "Run a stopped run again from its spec", table.action_restart)
        yield SystemCommand("Run: mark (space)", "Mark the run for comparison", table.action_mark)
    if isinstance(screen, RunsScreen):
        yield SystemCommand("Runs: filter (/)", "Filter the runs by words", screen.action_focus_filter)
        yield SystemCommand("Runs: mark shown (a)", "Mark every shown run", screen.action_mark_all)
        yield SystemCommand("Runs: compare marked (c)", "Compare the marked runs", screen.action_compare)
        yield SystemCommand("Runs: tags and note (t)", "Edit the run's tags and note", screen.action_tag)
    if isinstance(screen, CompareScreen):
        yield SystemCommand("Compare: export (e)", "Write CSV, JSON, Markdown and figures", screen.action_export)
        yield SystemCommand("Compare: align x (a)", "Step, epoch or wall time", screen.action_align)
        yield SystemCommand("Compare: next metric (m)", "Cycle the compared metric", screen.action_metric)
    yield SystemCommand("Quit (q)", "Quit; asks whether to stop runs still in flight", app.action_quit_app)


def _textual_commands(app, screen):
    from textual.app import App

    return App.get_system_commands(app, screen)


def _table(app, screen):

    if isinstance(app.focused, RunTable):
        return app.focused
    if screen is app.screen_stack[0]:
        pane = app.active_pane()
        return pane.query_one(RunTable) if pane is not None else None
    tables = list(screen.query(RunTable))
    return tables[0] if len(tables) == 1 else None
