"""Claims, the reproduction report and the app served to a browser."""

from __future__ import annotations

import json
import time
from pathlib import Path

import typer
from rich.markup import escape

from overfit_tui.cli import DataDirOpt, HomeOpt, _store, app, console, err, registry
from overfit_tui.core.errors import OverfitError
from overfit_tui.core.paths import Home
from overfit_tui.ui.serve import LOCAL_HOSTS
from overfit_tui.ui.serve import serve as do_serve


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="address to bind (localhost by default)"),
    port: int = typer.Option(8000, "--port", help="TCP port"),
    allow_remote: bool = typer.Option(
        False, "--allow-remote", help="bind a non-local address (anyone who reaches it can launch training here)"
    ),
    home: Path | None = HomeOpt,
    data_dir: Path | None = DataDirOpt,
):
    """Serve the app to a browser (textual-serve). Over SSH: ssh -L 8000:localhost:8000 gpu-box."""
    if not 1 <= port <= 65535:
        raise OverfitError(f"--port {port}: a TCP port is in [1, 65535] (8000 by default)")
    if host not in LOCAL_HOSTS and not allow_remote:
        raise OverfitError(
            f"--host {host} would let anyone who reaches it launch training on this machine; "
            "add --allow-remote to mean it, or tunnel: ssh -L 8000:localhost:8000 this-box"
        )
    if host not in LOCAL_HOSTS:
        console.print(f"[yellow]warning:[/] serving on {host}:{port}: anyone who reaches it can launch training here")
    root = Home.resolve(home).root
    console.print(f"serving overfit-tui ({root}) at http://{host}:{port}  (ctrl+c stops)")
    do_serve(root, host, port, data_dir)


@app.command()
def claims(
    refs: list[str] = typer.Argument(None, help="group ids (unique prefixes work); default: each study's latest group"),
    json_: bool = typer.Option(False, "--json", help="machine-readable"),
    strict: bool = typer.Option(False, "--strict", help="exit 1 when any claim fails or is pending"),
    home: Path | None = HomeOpt,
):
    """Check each group's runs against its paper's claims: holds, fails or pending, with the
    evidence (n seeds, the effect and its 95 % interval, the margin, the claim's null FPR)."""
    from rich.markup import escape
    from rich.table import Table

    reg = registry()
    group_claims, latest_groups, MARK, evidence_text = reg.group_claims, reg.latest_groups, reg.MARK, reg.evidence_text

    store = _store(home)
    groups = [g for ref in refs for g in dict.fromkeys(r.group for r in store.resolve(ref))] if refs else None
    results = [gc for g in (groups or latest_groups(store)) if (gc := group_claims(store, g)) is not None]
    if json_:
        print(json.dumps([gc.to_dict() for gc in results], indent=1))
    else:
        if not results:
            console.print("no group with claims to check yet: run a preset first (overfit-tui presets)")
        for gc in results:
            t = Table(
                "",
                "claim",
                "paper",
                "measured",
                "evidence",
                title=f"{gc.group} ({gc.study}): {escape(gc.paper)}",
                show_lines=False,
            )
            for c, v in gc.results:
                style = {"holds": "green", "fails": "red"}.get(v.status, "yellow")
                kind = " [dim]construction check[/]" if c.kind == "construction" else ""
                t.add_row(
                    f"[{style}]{MARK[v.status]}[/]",
                    f"{escape(c.text)} [dim]({escape(c.source)})[/]{kind}",
                    escape(c.paper),
                    escape(v.measured or v.detail),
                    escape(evidence_text(c, v)),
                )
            console.print(t)
            console.print(f"  {gc.count('holds')} hold, {gc.count('fails')} fail, {gc.count('pending')} pending")
    if strict and (not results or any(v.status != "holds" for gc in results for _, v in gc.results)):
        bad = sum(v.status != "holds" for gc in results for _, v in gc.results)
        err.print(f"--strict: {bad} claim(s) fail or are pending" if results else "--strict: no claim was checked")
        raise typer.Exit(1)


@app.command()
def report(
    refs: list[str] = typer.Argument(None, help="group ids (unique prefixes work); default: each study's latest group"),
    out: Path = typer.Option(
        None, "-o", "--output", help="FILE.html (one self-contained page) or a folder (HTML, Markdown, SVG figures)"
    ),
    home: Path | None = HomeOpt,
):
    """A reproduction report: claims (paper vs measured), figures, tables and provenance per group."""
    reg = registry()

    store = _store(home)
    groups = [g for ref in refs for g in dict.fromkeys(r.group for r in store.resolve(ref))] if refs else None
    groups = groups or reg.latest_groups(store)
    if not groups:
        raise OverfitError("no finished group to report on yet: run a preset first (overfit-tui presets)")
    target = Path(out) if out else store.home.root / "exports" / time.strftime("report-%Y%m%d-%H%M%S")
    paths = reg.write_report(store, groups, target)
    console.print(
        f"report on {len(groups)} group(s): {escape(str(paths[0]))}"
        + (f" (+{len(paths) - 1} files)" if len(paths) > 1 else "")
    )
