"""The same app in a browser, through textual-serve: each browser tab gets its own app process
(the same home, so the same runs), driven over a websocket. Bound to localhost by default: the
served app can launch training processes on this machine, so anything wider needs a flag."""

from __future__ import annotations

import re
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


EXTERNAL = re.compile(r"<link[^>]*href=\"https?://[^\"]*\"[^>]*/?>\s*", re.S)


def offline_templates(home: Path) -> Path:
    """textual-serve's page templates with every external stylesheet link removed (its page
    loads a web font from the network; ours must work offline and fetch nothing), written
    under the home's cache. The page falls back to the browser's monospace font."""
    import textual_serve

    src = Path(textual_serve.__file__).parent / "templates"
    out = home / "cache" / "serve-templates"
    out.mkdir(parents=True, exist_ok=True)
    for t in src.glob("*.html"):
        text = EXTERNAL.sub("", t.read_text())
        target = out / t.name
        if not target.exists() or target.read_text() != text:
            target.write_text(text)
    return out


def serve(home: Path, host: str = "127.0.0.1", port: int = 8000, data_dir: Path | None = None) -> None:
    from textual_serve.server import Server

    templates = offline_templates(home)
    Server(app_command(home, data_dir), host=host, port=port, title="overfit-tui", templates_path=templates).serve()
