"""`overfit-tui serve`: the app over HTTP and a websocket on a free localhost port, its first
screen's text arriving in the browser's stream, a clean shutdown; non-local binds need a flag."""

from __future__ import annotations

import asyncio
import re
import signal
import socket
import subprocess
import sys
import time

import aiohttp
import pytest
from typer.testing import CliRunner


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _first_screen(port: int, timeout: float) -> str:
    seen = b""
    async with aiohttp.ClientSession() as http:
        async with http.get(f"http://127.0.0.1:{port}/") as r:
            assert r.status == 200
            page = await r.text()
            assert "/ws" in page or "ws" in page
            external = re.findall(r"(?:href|src)=\"(https?://[^\"]+)\"", page)
            assert not [u for u in external if "127.0.0.1" not in u], external  # the page fetches nothing
        async with http.ws_connect(f"ws://127.0.0.1:{port}/ws?width=120&height=40") as ws:
            t0 = time.monotonic()
            while time.monotonic() - t0 < timeout and b"Randomization" not in seen:
                try:
                    msg = await ws.receive(timeout=2)
                except TimeoutError:
                    continue
                if msg.type == aiohttp.WSMsgType.BINARY:
                    seen += msg.data
                elif msg.type == aiohttp.WSMsgType.TEXT:
                    seen += msg.data.encode()
                elif msg.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
                    break
            await ws.send_str('["quit"]')
    return seen.decode("utf-8", "replace")


@pytest.mark.slow
def test_serve_shows_the_first_screen_over_a_websocket(home):
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "overfit_tui", "serve", "--port", str(port), "--home", str(home.root)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        text = asyncio.run(_first_screen(port, timeout=60))
        assert "Randomization" in text and "Double" in text  # the pane tabs (short titles where the bar is narrow)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=90)  # a hang guard: a loaded machine shuts down slowly
        except subprocess.TimeoutExpired:
            proc.kill()
            pytest.fail("the server did not shut down on SIGINT")
    out = proc.stdout.read().decode("utf-8", "replace") if proc.stdout else ""
    assert proc.returncode in (0, 130, -signal.SIGINT), (proc.returncode, out[-2000:])
    assert "Traceback" not in out, out[-2000:]


def test_serve_refuses_a_public_bind_without_the_flag(home):
    from overfit_tui.cli import app
    from overfit_tui.core.errors import OverfitError

    out = CliRunner().invoke(app, ["serve", "--host", "0.0.0.0", "--home", str(home.root)])
    assert out.exit_code != 0
    assert isinstance(out.exception, OverfitError) and "--allow-remote" in str(out.exception)
