"""The same app in a browser, through textual-serve: each browser tab gets its own app process
(the same home, so the same runs), driven over a websocket. Bound to localhost by default: the
served app can launch training processes on this machine, so anything wider needs a flag."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


def app_command(home: Path, data_dir: Path | None = None) -> str:
    """The shell command textual-serve runs for each browser connection."""
    cmd = [sys.executable, "-m", "overfit_tui", "--home", str(home)]
    if data_dir:
        cmd += ["--data-dir", str(data_dir)]
    return shlex.join(cmd)


def serve(home: Path, host: str = "127.0.0.1", port: int = 8000, data_dir: Path | None = None) -> None:
    from textual_serve.server import Server

    Server(app_command(home, data_dir), host=host, port=port, title="overfit-tui").serve()
