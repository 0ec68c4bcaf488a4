"""Run and store commands: presets, check, run, runs, cancel, restart, rm, gc, export, import, tag, note."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import typer
from rich.markup import escape

from overfit_tui.cli import DataDirOpt, HomeOpt, JsonOpt, _store, _user_presets, _warn, app, console, err, registry
from overfit_tui.core.data_files import is_available
from overfit_tui.core.errors import OverfitError, printable
from overfit_tui.core.presets import list_presets, parse_set
from overfit_tui.core.records import RunRecord
from overfit_tui.core.status import ACTIVE, Status
from overfit_tui.runs.feed import RunFeed
from overfit_tui.runs.liveness import reconcile
from overfit_tui.runs.manage import (
    check_output,
    note_runs,
    orphan_dirs,
    parse_tags,
    remove_runs,
    runs_to_remove,
    tag_runs,
)
from overfit_tui.runs.queue import queue_positions
from overfit_tui.store.query import run_filter
from overfit_tui.ui_text import progress_of, runs_table


@app.command()
def presets(json_: bool = JsonOpt, home: Path | None = HomeOpt):
    """List the presets: yours (HOME/presets/*.toml, then <config>/presets/*.toml, which override
    a shipped preset of the same name) under their own heading, then the shipped ones."""
    from rich.table import Table

    from overfit_tui.studies.groups import checked_presets  # lazy: the study registry

    found = checked_presets(list_presets(_user_presets(home)))
    if json_:
        rows = [
            {"name": p.name, "study": p.study, "file": str(p.path), "description": p.description, "mine": p.mine}
            | ({"error": p.error} if p.error else {})
            for p in found
        ]
        print(json.dumps(rows, indent=1))
        return
    for p in found:
        if p.error:  # one line each (file, key, reason); the others still list
            err.print(f"[red]error:[/] {escape(printable(p.error, 600))}", soft_wrap=True)
    for title, group in (
        ("your presets", [p for p in found if p.mine]),
        ("shipped presets", [p for p in found if not p.mine]),
    ):
        if not group:
            continue
        t = Table(
            "preset", "study", "file", "description", box=None, title=title, title_justify="left", title_style="bold"
        )
        for p in group:
            what = "does not load: the error above" if p.error else p.description
            t.add_row(*(escape(printable(v, 200)) for v in (p.name, p.study, p.path, what)))
        console.print(t)


@app.command()
def check(
    preset: str = typer.Argument(..., help="preset name or path to a .toml file"),
    set_: list[str] = typer.Option([], "--set", help="override: key=value (TOML value), repeatable"),
    json_: bool = JsonOpt,
    home: Path | None = HomeOpt,
):
    """Validate a preset and show the runs it expands to."""
    reg = registry()
    group, p = reg.load_group(preset, parse_set(set_), _user_presets(home))
    runs = reg.get_study(group.study).expand(group)
    jobs = reg.get_study(group.study).jobs(runs)
    if json_:
        out = {"preset": str(p.path), "study": group.study, "jobs": [list(j) for j in jobs]}
        out["runs"] = [{"hash": r.hash, "label": r.label, "spec": r.to_dict()} for r in runs]
        print(json.dumps(out, indent=1))
        return
    console.print(f"[green]ok[/] {escape(str(p.path))}: study {group.study}, {len(runs)} runs in {len(jobs)} jobs")
    for r in runs:
        console.print(f"  {r.hash[:8]}  {escape(r.label)}")


def _group_table(store, group_id: str, runs: list[RunRecord] | None = None, queue_pos: dict | None = None) -> None:
    """Print one group's runs with its study's summary fields, fitted to the terminal's width
    (whole columns dropped and named, never a number cut); progress and ETA while active."""
    from overfit_tui.studies import fields_for  # loads only the studies of these runs

    runs = store.runs(group_id) if runs is None else runs
    fields = fields_for(dict.fromkeys(r.study for r in runs))
    events = {r.id: store.metrics(r.id) for r in runs if r.status in ACTIVE}
    title = f"{group_id} ({runs[0].study if runs else '-'})"
    t, hidden = runs_table(runs, fields, events, console.width, title, queue_pos)
    console.print(t)
    if hidden:
        console.print(f"  [dim]hidden at {console.width} columns: {', '.join(hidden)}[/]")


def _figures_text(store, group_id: str) -> None:
    runs = store.runs(group_id)
    if not runs:
        return
    reg = registry()
    study = reg.get_study(runs[0].study)
    data = reg.runs_data(runs, store.metrics)
    for t in reg.tables_as_rich(study, data):
        console.print(t)


@app.command()
def run(
    preset: str = typer.Argument(..., help="preset name or path to a .toml file"),
    set_: list[str] = typer.Option([], "--set", help="override: key=value (TOML value), repeatable"),
    device: str | None = typer.Option(
        None, "--device", "--devices", help="cpu, cuda:0 or a list cuda:0,cuda:1 (default: every GPU, else cpu)"
    ),
    per_device: int = typer.Option(
        0, "--per-device", help="at most this many of the group's jobs per device (0 = the device's slots)"
    ),
    priority: int = typer.Option(0, "--priority", help="place in the home's queue: higher starts first (-1000..1000)"),
    backend: str | None = typer.Option(
        None, "--backend", help="local (default, or $OVERFIT_TUI_BACKEND) or ray: each job a Ray task on the cluster"
    ),
    address: str | None = typer.Option(
        None, "--address", help="with --backend ray: auto (default), HOST:PORT or ray://HOST:10001"
    ),
    detach: bool = typer.Option(False, "--detach", help="start the runs and return; they keep running"),
    download: bool = typer.Option(False, "--download", help="allow downloading MNIST / Fashion-MNIST / CIFAR-10"),
    home: Path | None = HomeOpt,
    data_dir: Path | None = DataDirOpt,
):
    """Run a preset headless: progress bars per run, a summary table, results in the store.

    Exit status: 0 when every run ended well (finished, or cancelled by a user), 1 when any run
    failed, was lost or diverged (one line each on stderr says why), 130 when interrupted, 2 on
    bad input; with --detach, 0 once the runs are queued."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    reg = registry()
    group, p = reg.load_group(preset, parse_set(set_), _user_presets(home))
    store = _store(home)
    data_dir = data_dir or store.home.data_dir
    if not download and not is_available(group.data.name, data_dir):
        raise OverfitError(
            f"{group.data.name} is not in {data_dir}: pass --download to fetch it, or --data-dir DIR where it is"
        )
    devices = device.split(",") if device else None
    gid, _ = reg.launch(
        store, group, p.name, str(p.path), devices, per_device, data_dir, download, priority, backend, address
    )
    console.print(f"group [bold]{gid}[/]: {len(store.runs(gid))} runs of {group.study} ({escape(str(p.path))})")
    if detach:  # one line per command, never wrapped: they are meant to be copied
        console.print("detached; follow with:  overfit-tui runs", soft_wrap=True)
        console.print(f"stop with:  overfit-tui cancel {gid}", soft_wrap=True)
        return
    feed = RunFeed(store, [gid])  # the group's records when its file changes, new events, reconciling
    runs = store.runs(gid)
    interrupted = False
    ray_note: str | None = None
    last: dict[str, dict] = {}
    with Progress(
        TextColumn("{task.description}", justify="left"),
        BarColumn(),
        TextColumn("{task.fields[info]}"),
        TimeElapsedColumn(),
        console=console,
    ) as prog:
        tasks = {r.id: prog.add_task(escape(r.label[:32]), total=1.0, info=Status.QUEUED) for r in store.runs(gid)}
        try:
            while True:
                batch = feed.poll()
                runs = batch.groups.get(gid, runs)
                ray_note = _ray_note(runs, ray_note, prog.console)
                for r in runs:
                    for e in batch.events.get(r.id, []):
                        if e["kind"] == "eval":
                            last[r.id] = e
                        elif e["kind"] == "step" and r.id in last:
                            last[r.id] = {**last[r.id], "epoch": e["epoch"]}
                    e = last.get(r.id)
                    info = (
                        r.status
                        if not e
                        else f"{r.status} train {e.get('train_acc', 0):.3f} test {e.get('test_acc', 0):.3f}"
                    )
                    prog.update(tasks[r.id], completed=progress_of(r, e), info=info)
                if all(r.status not in ACTIVE for r in runs):
                    break
                time.sleep(0.5)
        except KeyboardInterrupt:
            interrupted = True
            reg.cancel(store, gid)
            console.print("[yellow]interrupted: cancelling the group's runs[/]")
            while any(r.status in ACTIVE for r in store.runs(gid)):
                time.sleep(0.3)
                reconcile(store)
    _group_table(store, gid)
    if interrupted:  # half-trained runs: no figure tables that would read as results
        n = sum(r.status == Status.CANCELLED for r in store.runs(gid))
        err.print(f"interrupted: {n} run(s) cancelled; the study's figures need finished runs", soft_wrap=True)
        raise typer.Exit(130)
    _figures_text(store, gid)
    problems = ended_badly(store.runs(gid))
    if problems:
        for line in problems:
            err.print(f"[red]error:[/] {escape(line)}", soft_wrap=True)
        raise typer.Exit(1)


BAD_ENDS = (Status.FAILED, Status.LOST, Status.DIVERGED)  # a run that ended so makes `run` exit 1
SHOWN_MAX = 20  # lines, one per run, before "... and N more"


def ended_badly(runs: list[RunRecord]) -> list[str]:
    """One line per run of the group that failed, was lost or diverged, saying why; then a count."""
    bad = [r for r in runs if r.status in BAD_ENDS]
    out = []
    for r in bad[:SHOWN_MAX]:
        why = [ln.strip() for ln in str(r.error or "").splitlines() if ln.strip()]
        reason = (
            why[-1]
            if why
            else ("its loss became NaN or infinite" if r.status == Status.DIVERGED else "no reason recorded")
        )
        out.append(f"run {r.id} ({printable(r.label, 60)}) {r.status}: {printable(reason, 300)}")
    if len(bad) > SHOWN_MAX:
        out.append(f"... and {len(bad) - SHOWN_MAX} more (overfit-tui runs --status failed,lost,diverged)")
    if bad:
        counts = ", ".join(
            f"{sum(r.status == s for r in bad)} {s}" for s in BAD_ENDS if any(r.status == s for r in bad)
        )
        out.append(f"{len(bad)} of {len(runs)} run(s) did not end well ({counts}): exit status 1")
    return out


def _ray_note(runs: list[RunRecord], shown: str | None, out) -> str | None:
    """--backend ray: print once the line saying which Ray cluster runs the group (or that a local
    Ray instance was started for it), from the first started run's provenance."""
    if shown is None:
        shown = next((n for r in runs if (n := r.provenance.get("ray_cluster"))), None)
        if shown:
            out.print(escape(shown), soft_wrap=True)
    return shown


RUN_KEYS = (
    "id",
    "group",
    "study",
    "label",
    "status",
    "device",
    "spec",
    "spec_hash",
    "summary",
    "provenance",
    "created",
    "ended",
    "tags",
    "notes",
)


def _study_names(study: str | None) -> list[str]:
    """The registered studies' names, when a --study needs checking (names only: no study loads)."""
    if study is None:
        return []
    from overfit_tui.studies import STUDIES

    return STUDIES.names()


@app.command()
def runs(
    json_: bool = typer.Option(
        False, "--json", help="machine-readable: a JSON list of records, one per line, streamed"
    ),
    group: str | None = typer.Option(None, "--group", help="only this group (a unique prefix of its id works)"),
    study: str | None = typer.Option(None, "--study", help="only runs of this study"),
    status: list[str] = typer.Option([], "--status", help="only runs in this state (repeatable, or a,b)"),
    tag: str | None = typer.Option(None, "--tag", help="only runs with this tag"),
    since: str | None = typer.Option(
        None, "--since", help="only runs launched since: 2025-06-01[T14:00] or an age, 30m 12h 7d"
    ),
    where: str | None = typer.Option(
        None, "--where", help="fields and words, all must hold: 'train.lr>=0.01 final_test_acc<0.2 tag:paper mlp'"
    ),
    home: Path | None = HomeOpt,
):
    """List stored runs (live status of running ones), group by group; filters open only the groups that can match."""
    import itertools

    store = _store(home)
    group = store.resolve_group(group) if group else group  # a unique prefix works, as everywhere
    flt = run_filter(study=study, group=group, status=status, tag=tag, since=since, studies=_study_names(study))
    reconcile(store)
    rows = store.iter_runs(flt)
    if where:  # a field no run has is an error naming the nearest one: every matching run is read first
        from overfit_tui.core.where import filter_records

        rows = iter(filter_records(rows, where))
    if json_:  # streamed: 10,000 runs never sit in memory at once
        out = sys.stdout
        out.write("[")
        for i, r in enumerate(rows):
            out.write(("\n" if i == 0 else ",\n") + json.dumps({k: d.get(k) for d in (r.to_dict(),) for k in RUN_KEYS}))
        out.write("\n]\n")
        return
    shown = False
    pos: dict[str, int] | None = None
    for gid, it in itertools.groupby(rows, key=lambda r: r.group):
        grs, queued = list(it), None
        if any(r.status == Status.QUEUED for r in grs):
            pos = queue_positions(store) if pos is None else pos
            queued = {r.id: pos.get(r.id, 0) for r in grs}
        _group_table(store, gid, grs, queued)
        shown = True
    if not shown:
        filtered = any((group, study, status, tag, since, where))
        console.print("no runs match" if filtered else "no runs yet: try `overfit-tui run smoke-mnist1d`")


@app.command()
def cancel(
    ref: str = typer.Argument(..., help="run id or group id (a unique prefix is enough)"),
    home: Path | None = HomeOpt,
):
    """Cancel a run or a whole group."""
    ids = registry().cancel(_store(home), ref)
    if not ids:
        raise OverfitError(f"nothing queued or running matches '{ref}'")
    console.print(f"cancelling {len(ids)} run(s)")


@app.command()
def restart(
    ref: str = typer.Argument(..., help="run id or group id (a unique prefix is enough)"),
    device: str | None = typer.Option(None, "--device"),
    home: Path | None = HomeOpt,
):
    """Train a run, or every run of a group, again from its stored spec, as new runs in a new group.

    The original runs and their results stay; queued or running runs cannot be restarted."""
    store = _store(home)
    old = store.resolve(ref)
    gid = registry().restart(store, ref, device.split(",") if device else None)
    done = sum(r.status == Status.FINISHED for r in old)
    kept = f" ({done} of them had finished: their results stay)" if done else ""
    console.print(
        f"restarted {len(old)} run(s) as new runs in group {gid}; the originals are kept{kept}", soft_wrap=True
    )


@app.command()
def rm(
    ref: str | None = typer.Argument(None, help="run id or group id (a unique prefix is enough)"),
    malformed: bool = typer.Option(False, "--malformed", help="remove every record the store cannot read"),
    yes: bool = typer.Option(False, "--yes", "-y", help="do not ask"),
    home: Path | None = HomeOpt,
):
    """Delete runs (records and files) after confirmation; a group id deletes all its runs."""

    store = _store(home)
    if malformed:
        n = len(store.problems())
        if n and (yes or typer.confirm(f"remove {n} unreadable record(s)?")):
            n = store.remove_malformed()
        console.print(f"removed {n} unreadable record(s)")
        return
    if ref is None:
        raise OverfitError("name a run or group to delete (or pass --malformed)")
    ids = runs_to_remove(store, ref)
    if not yes and not typer.confirm(f"delete {len(ids)} run(s) and their files?"):
        raise typer.Abort()
    removed, warnings = remove_runs(store, ids)
    for w in warnings:
        _warn(w)
    console.print(f"deleted {len(removed)} run(s)")


@app.command()
def gc(home: Path | None = HomeOpt, yes: bool = typer.Option(False, "--yes", "-y")):
    """Remove run folders that no stored run owns."""
    import shutil

    store = _store(home)
    orphans = orphan_dirs(store)
    if not orphans:
        console.print("no orphaned files")
        return
    if not yes and not typer.confirm(f"remove {len(orphans)} orphaned run folder(s)?"):
        raise typer.Abort()
    for d in orphans:
        shutil.rmtree(store.home.deletable("runs", d.name), ignore_errors=True)  # checked again, just before
    console.print(f"removed {len(orphans)} folder(s)")


@app.command()
def export(
    refs: list[str] = typer.Argument(..., help="run ids and/or group ids (unique prefixes work)"),
    fmt: str = typer.Option("md", "--format", "-f", help="csv | json | md | svg | png (figures: one file each)"),
    out: Path = typer.Option(..., "--output", "-o", help="file to write"),
    home: Path | None = HomeOpt,
):
    """Export a comparison of runs: CSV (long form), JSON (full), Markdown (tables), SVG or PNG (one
    file per figure, named OUTPUT-STEM-<study>-<figure>)."""
    check_output(out)
    reg = registry()
    c = reg.load_comparison(_store(home), refs)
    try:
        paths = reg.write(c, fmt, out)
    except OSError as e:
        raise OverfitError(f"--output {out}: cannot write it ({e.strerror or e})") from None
    if c.skipped_lines:
        _warn(f"{c.skipped_lines} damaged metric line(s) left out")
    where = ", ".join(escape(str(p)) for p in paths) if paths else f"nothing (no figure to draw for {escape(str(out))})"
    console.print(f"wrote {len(c.records)} run(s) to {where}")


@app.command("import")
def import_(
    path: Path = typer.Argument(..., help="a JSON file written by `export --format json`"),
    home: Path | None = HomeOpt,
):
    """Import exported runs (records and curves) into this store; a bad file imports nothing."""

    added, skipped = registry().import_json(_store(home), path)
    console.print(f"imported {added} run(s), {skipped} already here")


@app.command(context_settings={"ignore_unknown_options": True})
def tag(
    ref: str = typer.Argument(..., help="run or group id (a unique prefix is enough)"),
    tags: list[str] = typer.Argument(..., help="tags to add; -name removes one"),
    home: Path | None = HomeOpt,
):
    """Add or remove tags on runs (a group id tags all its runs), e.g. `tag RUN baseline -old`."""

    add, remove = parse_tags(tags)
    n = tag_runs(_store(home), ref, add, remove)
    what = ", ".join([*(f"+{t}" for t in add), *(f"-{t}" for t in remove)])
    console.print(f"{escape(what)} on {n} run(s)", soft_wrap=True)


@app.command()
def note(
    ref: str = typer.Argument(..., help="run or group id (a unique prefix is enough)"),
    text: str = typer.Argument(..., help="the note (an empty string clears it)"),
    home: Path | None = HomeOpt,
):
    """Set the note of runs (a group id sets it on all its runs)."""

    console.print(f"noted {note_runs(_store(home), ref, text)} run(s)")
