"""Screenshot of the app served to a real browser: `./dev web-screenshot [--home H]` starts
`overfit-tui serve` on a free localhost port, opens it in headless Chromium (Debian's
`chromium`), waits until the app has drawn in the page's terminal, and saves a PNG.

Driven over the Chrome DevTools Protocol (aiohttp, already installed with textual-serve), since
headless Chromium's one-shot `--screenshot` fires before the app's websocket has drawn. A repo
command, not a test: it needs a browser."""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_port(port: int, timeout: float = 30.0) -> None:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"nothing listens on port {port} after {timeout:.0f} s")


async def _shoot(debug_port: int, url: str, out: Path, text: str, timeout: float) -> None:
    import aiohttp

    async with aiohttp.ClientSession() as http:
        async with http.get(f"http://127.0.0.1:{debug_port}/json") as r:
            page = next(t for t in await r.json() if t["type"] == "page")
        async with http.ws_connect(page["webSocketDebuggerUrl"], max_msg_size=0) as ws:
            ids = iter(range(1, 1_000_000))

            async def call(method: str, **params):
                i = next(ids)
                await ws.send_str(json.dumps({"id": i, "method": method, "params": params}))
                while True:
                    msg = json.loads((await ws.receive()).data)
                    if msg.get("id") == i:
                        return msg.get("result", {})

            await call("Page.enable")
            await call("Page.navigate", url=url)
            t0 = time.monotonic()
            # the terminal draws on a canvas: wait for the app's status line in the accessibility text
            while time.monotonic() - t0 < timeout:
                res = await call("Runtime.evaluate", expression="document.body.innerText")
                if text in res.get("result", {}).get("value", ""):
                    break
                await asyncio.sleep(1.0)
            await asyncio.sleep(3.0)  # let the first charts draw
            shot = await call("Page.captureScreenshot", format="png")
            out.write_bytes(base64.b64decode(shot["data"]))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--home", default=None, help="home to serve (default: a fresh temporary one)")
    ap.add_argument("-o", "--out", default="screenshots/browser.png")
    ap.add_argument("--timeout", type=float, default=90.0, help="seconds to wait for the app to draw")
    a = ap.parse_args(argv)
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if not browser:
        sys.exit("needs Debian's chromium: apt-get install chromium")
    home = a.home or tempfile.mkdtemp(prefix="overfit-web-")
    port, debug_port = _free_port(), _free_port()
    out = Path(a.out).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    server = subprocess.Popen(
        [sys.executable, "-m", "overfit_tui", "serve", "--port", str(port), "--home", home],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    with tempfile.TemporaryDirectory() as profile:
        chrome = subprocess.Popen(
            [browser, "--headless=new", "--no-sandbox", "--disable-gpu", f"--user-data-dir={profile}"]
            + [f"--remote-debugging-port={debug_port}", "--window-size=1400,800", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            _wait_port(port)
            _wait_port(debug_port)
            asyncio.run(_shoot(debug_port, f"http://127.0.0.1:{port}/", out, "palette", a.timeout))
            print(f"wrote {out}")
        finally:
            chrome.terminate()
            server.send_signal(signal.SIGINT)
            for p in (chrome, server):
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()


if __name__ == "__main__":
    main()
