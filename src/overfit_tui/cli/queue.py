"""The home's device queue: priority, queue (show, pause, resume, slots), devices."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.markup import escape

from overfit_tui.cli import HomeOpt, JsonOpt, _store, app, console
from overfit_tui.runs.devices import device_report
from overfit_tui.runs.queue import (
    device_slots,
    ensure_scheduler,
    pool_devices,
    queued_jobs,
    read_state,
    scheduler_pid,
    set_priority,
    update_state,
)


@app.command()
def priority(
    ref: str = typer.Argument(..., help="group id, or a run id for its group (a unique prefix is enough)"),
    value: int = typer.Argument(..., help="higher starts first; 0 is the default (-1000..1000)"),
    home: Path | None = HomeOpt,
):
    """Set a group's priority in the home's queue (its queued jobs move ahead of lower ones)."""

    groups = set_priority(_store(home), ref, value)
    console.print(f"priority {value} for {len(groups)} group(s): {', '.join(groups)}")


queue_app = typer.Typer(help="The home's device queue: one scheduler, one device pool, every group.")
app.add_typer(queue_app, name="queue")


@queue_app.callback(invoke_without_command=True)
def queue_show(ctx: typer.Context, json_: bool = JsonOpt, home: Path | None = HomeOpt):
    """Show the queue: its scheduler, whether it is paused, the slots, the jobs waiting in order."""
    if ctx.invoked_subcommand is not None:
        return

    store = _store(home)
    st = read_state(store.home)
    pid = scheduler_pid(store.home)
    slots = device_slots(st, pool_devices())
    if json_:
        jobs = [
            {"position": i, "group": j.group, "priority": -j.key[0], "runs": list(j.runs)}
            for i, j in enumerate(queued_jobs(store), 1)
        ]
        print(json.dumps({"scheduler_pid": pid, "paused": st.paused, "slots": slots, "jobs": jobs}, indent=1))
        return
    console.print(
        f"scheduler: {f'pid {pid}' if pid else 'not running'}; {'[yellow]paused[/]' if st.paused else 'running'}; "
        f"slots: {', '.join(f'{d} {n}' for d, n in slots.items())}",
        soft_wrap=True,
    )
    jobs = queued_jobs(store)
    for i, j in enumerate(jobs, 1):
        console.print(f"  #{i}  {j.group}  priority {-j.key[0]}  {len(j.runs)} run(s)  {', '.join(j.runs[:3])}")
    if not jobs:
        console.print("  nothing waiting")


@queue_app.command("pause")
def queue_pause(home: Path | None = HomeOpt):
    """Start no new job (running ones go on) until `queue resume`."""

    update_state(_store(home), paused=True)
    console.print("queue paused: running jobs go on, no new one starts (`overfit-tui queue resume`)")


@queue_app.command("resume")
def queue_resume(home: Path | None = HomeOpt):
    """Start queued jobs again (starting the scheduler if it is not running)."""

    store = _store(home)
    update_state(store, paused=False)
    ensure_scheduler(store)
    console.print("queue resumed")


@queue_app.command("slots")
def queue_slots(
    cpu: int | None = typer.Option(None, "--cpu", help="concurrent workers on the CPU (0 = from the core count)"),
    gpu: int | None = typer.Option(None, "--gpu", help="concurrent workers per GPU"),
    home: Path | None = HomeOpt,
):
    """Set the slots per device of the home's pool."""

    st = update_state(_store(home), cpu_slots=cpu, gpu_slots=gpu)
    console.print("slots: " + ", ".join(f"{d} {n}" for d, n in device_slots(st, pool_devices()).items()))


@app.command()
def devices(json_: bool = JsonOpt, home: Path | None = HomeOpt):
    """Each device of the home's pool: its slots, the runs on it, utilization and memory."""
    from rich.table import Table

    if json_:
        rows = [
            {
                "device": d.name,
                "slots": d.slots,
                "workers": len(d.workers),
                "busy": d.util,
                "memory": d.memory,
                "runs": d.runs,
            }
            for d in device_report(_store(home))
        ]
        print(json.dumps(rows, indent=1))
        return

    t = Table("device", "slots used", "busy", "memory", "runs", box=None)
    for d in device_report(_store(home)):
        # a slot holds one worker process, which may train several stacked runs
        slots = "Ray" if d.slots is None else f"{len(d.workers)}/{d.slots} ({len(d.runs)} runs)"
        t.add_row(d.name, slots, d.util, d.memory, escape("\n".join(d.runs) or "-"))
    console.print(t)
