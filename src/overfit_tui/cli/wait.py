"""`overfit-tui wait REF`: block until a group (or a run) ends, saying what happens meanwhile,
and exit with its outcome, so a script can chain on it. The reference is resolved to run ids
once; their groups are followed through `runs.feed.RunFeed` (a group's file is read when it
changes, vanished workers are reconciled), as `run` and the app follow theirs."""

from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.markup import escape

from overfit_tui.cli import HomeOpt, _store, app, console, err
from overfit_tui.cli.runs import ended_badly
from overfit_tui.core.errors import RefError
from overfit_tui.core.records import RunRecord
from overfit_tui.core.status import ACTIVE, Status
from overfit_tui.runs.alerts import Alerts, RunState
from overfit_tui.runs.feed import FeedBatch, RunFeed

POLL_S = 0.5
EXIT_CANCELLED = 3
EXIT_TIMEOUT = 124  # as timeout(1)


def _states(store, runs: list[RunRecord]) -> list[RunState]:
    out = []
    for r in runs:
        path = store.metrics_path(r.id)
        last = path.stat().st_mtime if path.exists() else None
        out.append(RunState(r.id, r.label, r.status, last))
    return out


@app.command()
def wait(
    ref: str = typer.Argument(..., help="group id or run id (a unique prefix is enough)"),
    timeout: float | None = typer.Option(None, "--timeout", help="give up after this many seconds (exit 124)"),
    home: Path | None = HomeOpt,
):
    """Wait until a group (or run) ends; exit 0 when every run finished, 1 when any failed, was
    lost or diverged (one line each says why), 3 when some were cancelled, 124 on --timeout.

    A line is printed as each run ends or stalls. Ctrl-C stops waiting (exit 130); the runs go on."""
    store = _store(home)
    runs = store.resolve(ref)
    feed = RunFeed(store, {r.group for r in runs})
    alerts = Alerts()
    alerts.runs(_states(store, runs), time.time())  # the state now is no news
    start = time.monotonic()
    try:
        while any(r.status in ACTIVE for r in runs):
            if timeout is not None and time.monotonic() - start > timeout:
                active = sum(r.status in ACTIVE for r in runs)
                err.print(f"timeout: {active} of {len(runs)} run(s) still queued or running", soft_wrap=True)
                raise typer.Exit(EXIT_TIMEOUT)
            time.sleep(POLL_S)
            runs = _fresh(runs, feed.poll())
            for a in alerts.runs(_states(store, runs), time.time()):
                console.print(escape(a.text), soft_wrap=True)
    except KeyboardInterrupt:
        err.print("interrupted: stopped waiting; the runs go on", soft_wrap=True)
        raise typer.Exit(130) from None
    done = sum(r.status == Status.FINISHED for r in runs)
    console.print(f"{done} of {len(runs)} run(s) finished", soft_wrap=True)
    problems = ended_badly(runs)
    if problems:
        for line in problems:
            err.print(f"[red]error:[/] {escape(line)}", soft_wrap=True)
        raise typer.Exit(1)
    cancelled = sum(r.status == Status.CANCELLED for r in runs)
    if cancelled:
        err.print(f"{cancelled} run(s) cancelled", soft_wrap=True)
        raise typer.Exit(EXIT_CANCELLED)


def _fresh(runs: list[RunRecord], batch: FeedBatch) -> list[RunRecord]:
    """The runs as the groups that changed now hold them; a run removed meanwhile is an error."""
    out, groups = [], batch.groups
    for r in runs:
        if r.group in batch.gone and r.group not in groups and r.status in ACTIVE:
            raise RefError(f"run {r.id} was removed while waiting for it")
        if r.group not in groups:
            out.append(r)
            continue
        now = next((x for x in groups[r.group] if x.id == r.id), None)
        if now is None:
            raise RefError(f"run {r.id} was removed while waiting for it")
        out.append(now)
    return out
