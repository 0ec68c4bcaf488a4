"""The `overfit-tui` command: the app with no arguments, headless subcommands otherwise.

Thin: parses arguments and prints; torch and Textual are imported only where needed. This
module holds the app, the shared options and the error handling; `runs.py` the run and store
commands, `queue.py` the device queue, `report.py` claims, the report and the browser app.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from overfit_tui import __version__
from overfit_tui.core.errors import OverfitError, printable
from overfit_tui.core.paths import Home
from overfit_tui.runs.manage import store_warnings
from overfit_tui.store import Store

app = typer.Typer(
    add_completion=True, no_args_is_help=False, help="A terminal lab for 'are deep nets dramatically overfitted?'."
)
console = Console()
err = Console(stderr=True)

HomeOpt = typer.Option(
    None, "--home", help="folder of the store and run files (default: $OVERFIT_TUI_HOME or the XDG data dir)"
)
DataDirOpt = typer.Option(None, "--data-dir", help="where MNIST / Fashion-MNIST / CIFAR-10 live (torchvision layout)")


def _warn(text: str) -> None:
    err.print(f"[yellow]warning:[/] {escape(printable(text, 400))}", soft_wrap=True)


def _store(home: Path | None):
    """The home's store, with a warning for a damaged file and for each unreadable record."""

    store = Store(Home.resolve(home))
    for w in store_warnings(store):
        _warn(w)
    return store


def _version(value: bool) -> None:
    if value:
        print(f"overfit-tui {__version__}")
        raise typer.Exit()


JsonOpt = typer.Option(False, "--json", help="machine-readable JSON on stdout")


@app.callback(invoke_without_command=True)
def _root(
    ctx: typer.Context,
    home: Path | None = HomeOpt,
    data_dir: Path | None = DataDirOpt,
    preset: str = typer.Option("smoke-mnist1d", "--preset", help="preset selected when the app opens"),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="print the version and exit"
    ),
):
    """Open the app (no subcommand)."""
    # `overfit-tui --home H run ...`: the options before a subcommand reach it as its defaults
    # (the subcommand's own --home, when given, still wins).
    if home is not None:
        os.environ["OVERFIT_TUI_HOME"] = str(home)
    if data_dir is not None:
        os.environ["OVERFIT_TUI_DATA"] = str(data_dir)
    if ctx.invoked_subcommand is None:
        from overfit_tui.ui.app import make_app  # lazy: Textual, only the app needs it

        tui = make_app(home=home, data_dir=data_dir, preset=preset)
        tui.run()
        if tui.return_code:  # Textual printed the traceback; a crash must not exit 0
            raise typer.Exit(tui.return_code)


def registry():
    """cli/loaded.py, imported on first use: the launcher, the exporters and the study registry (see there)."""
    from overfit_tui.cli import loaded  # lazy: what `presets` and `runs` never need

    return loaded


def _user_presets(home: Path | None) -> Path:

    return Home.resolve(home).presets_dir


def main() -> None:
    """Every error a user can cause ends as one line on stderr and exit status 2, never a traceback."""
    try:
        app()
    except OverfitError as e:
        err.print(f"[red]error:[/] {escape(printable(e, 2000))}", soft_wrap=True)
        sys.exit(2)
    except OSError as e:  # the machine said no (full disk, permissions) where no check could foresee it
        where = f"{e.filename}: " if e.filename else ""
        err.print(f"[red]error:[/] {escape(printable(where + (e.strerror or str(e)), 2000))}", soft_wrap=True)
        sys.exit(2)


# the commands register themselves on `app` in this order (`--help` lists them so)
from overfit_tui.cli import runs  # noqa: E402, F401, I001
from overfit_tui.cli import queue  # noqa: E402, F401
from overfit_tui.cli import report  # noqa: E402, F401
from overfit_tui.cli import wait  # noqa: E402, F401
from overfit_tui.cli import measures  # noqa: E402, F401
