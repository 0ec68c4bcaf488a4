"""`overfit-tui wait REF`: block until a group (or a run) ends, saying what happens meanwhile,
and exit with its outcome, so a script can chain on it."""

from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.markup import escape

from overfit_tui.cli import HomeOpt, _store, app, console, err
from overfit_tui.cli.runs import ended_badly
from overfit_tui.core.status import ACTIVE, Status
from overfit_tui.runs.alerts import Alerts, RunState
from overfit_tui.runs.liveness import reconcile

POLL_S = 0.5
RECONCILE_S = 3.0  # how often a worker that vanished is looked for (it ends its runs lost)
EXIT_CANCELLED = 3
EXIT_TIMEOUT = 124  # as timeout(1)


def _states(store, runs: list[dict]) -> list[RunState]:
    out = []
    for r in runs:
        path = store.metrics_path(r["id"])
        last = path.stat().st_mtime if path.exists() else None
        out.append(RunState(r["id"], str(r.get("label", "")), r["status"], last))
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
    alerts = Alerts()
    alerts.runs(_states(store, runs), time.time())  # the state now is no news
    start = checked = time.monotonic()
    try:
        while any(r["status"] in ACTIVE for r in runs):
            if timeout is not None and time.monotonic() - start > timeout:
                active = sum(r["status"] in ACTIVE for r in runs)
                err.print(f"timeout: {active} of {len(runs)} run(s) still queued or running", soft_wrap=True)
                raise typer.Exit(EXIT_TIMEOUT)
            time.sleep(POLL_S)
            if time.monotonic() - checked > RECONCILE_S:
                checked = time.monotonic()
                reconcile(store)
            runs = store.resolve(ref)
            for a in alerts.runs(_states(store, runs), time.time()):
                console.print(escape(a.text), soft_wrap=True)
    except KeyboardInterrupt:
        err.print("interrupted: stopped waiting; the runs go on", soft_wrap=True)
        raise typer.Exit(130) from None
    done = sum(r["status"] == Status.FINISHED for r in runs)
    console.print(f"{done} of {len(runs)} run(s) finished", soft_wrap=True)
    problems = ended_badly(runs)
    if problems:
        for line in problems:
            err.print(f"[red]error:[/] {escape(line)}", soft_wrap=True)
        raise typer.Exit(1)
    cancelled = sum(r["status"] == Status.CANCELLED for r in runs)
    if cancelled:
        err.print(f"{cancelled} run(s) cancelled", soft_wrap=True)
        raise typer.Exit(EXIT_CANCELLED)
