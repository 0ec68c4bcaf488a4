"""The app's first screen, from a fresh interpreter (issue 29: <= 1.5 s and <= 150 MB before a
run is opened). Each repeat starts a new Python process that imports the app, opens it
headless at 160x48 on HOME (as `overfit-tui` opens: the pane of the smoke preset) and records

- `import_s`: importing the app module (Textual, the studies' descriptions; no torch);
- `mounted_s`: from the process's first line to the app's mount complete (compose, styles,
  every `on_mount`): Textual's ready event;
- `paint_s`, `paint_cpu_s`: to the first frame written (the first compositor update the app hands
  its driver), wall and the process's CPU time (user + system);
- `screen_s`, `cpu_s`, `rss_mb`: the first screen whole (the pane built, its form's fields
  mounted, the newest group's runs in its table when the home has any): the first frame painted
  once it is, its wall time, the process's CPU time and its peak RSS then (the goal's figures);
- `torch`: whether torch got imported (it must not: habit 17);
- `switch_ms`, `switch_cpu_ms`: after the first screen, switching to each other pane once (its
  first showing, where a lazy pane builds its widgets), until the pane and its form are mounted
  and a frame is painted after that; wall and the process's CPU;
- `scorecard_ms`: opening the Scorecard (it reads every study's claims) until it has its rows.

    python bench/bench_app_start.py [--home DIR] [--runs N] [--repeat 3]

Starts read compiled bytecode from a private cache (one untimed warm-up start fills it), as an
installed package does. Without --home a home of N runs (bench_store.build_home, default 100) is built in a temporary
folder. Prints one JSON line per repeat, then the medians.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
START = "smoke-mnist1d"  # as `overfit-tui` opens


def _kb(key: str) -> int:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(key + ":"))


async def child(home: str, rows: bool) -> dict:
    import asyncio

    t0 = time.perf_counter()
    from overfit_tui.ui.app import make_app

    out: dict = {"import_s": time.perf_counter() - t0}
    app = make_app(home=home, preset=START)
    painted: list[float] = []
    display = app._display

    def built(pane) -> bool:
        from overfit_tui.ui.spec_form import SpecForm

        if not pane.is_mounted:
            return False
        form = pane.query_one(SpecForm)
        return bool(form.inputs) and all(i.is_mounted for i in form.inputs.values())

    def complete() -> bool:
        """The first screen whole: the pane built, its form's fields mounted, and the newest group
        of the pane's studies in its run table (when the home has one)."""
        from overfit_tui.ui.run_table import RunTable
        from overfit_tui.ui.spec_form import SpecForm

        pane = app.active_pane() if app.is_running else None
        if pane is None or not pane.is_mounted:
            return False
        form = pane.query_one(SpecForm)
        if not form.inputs or not all(i.is_mounted for i in form.inputs.values()):
            return False
        return not rows or pane.query_one(RunTable).row_count > 0

    def first_frame(screen, renderable) -> None:  # the frame the terminal would get
        if renderable is not None and not app._batch_count:
            if not painted:
                painted.append(time.perf_counter())
                if "cpu_s" not in out:
                    out["paint_cpu_s"] = time.process_time()
            if "cpu_s" not in out and complete():
                out["screen_s"], out["cpu_s"] = time.perf_counter() - t0, time.process_time()
                out["rss_mb"] = _kb("VmHWM") / 1024
        display(screen, renderable)

    app._display = first_frame

    async def until(pred, timeout: float = 120.0) -> None:
        start = time.perf_counter()
        while not pred():
            if time.perf_counter() - start > timeout:
                raise TimeoutError("the app did not get there in time")
            await asyncio.sleep(0.005)

    async with app.run_test(size=(160, 48)) as pilot:
        out["mounted_s"] = time.perf_counter() - t0
        await until(lambda: bool(painted))
        out["paint_s"] = painted[0] - t0
        await until(lambda: "cpu_s" in out)
        out["torch"] = "torch" in sys.modules
        await pilot.pause(1.0)  # the feed's first poll lands
        switch, switch_cpu = {}, {}
        from textual.widgets import TabbedContent

        tabs = app.query_one("#tabs", TabbedContent)
        for i, name in enumerate(app.panes):
            if tabs.active == f"pane-{name}":
                continue
            painted.clear()
            t, cpu = time.perf_counter(), time.process_time()
            app.action_pane(i)
            await until(lambda name=name: app.active_pane() is not None and app.active_pane().pane_name == name)
            await until(lambda: built(app.active_pane()))  # its widgets and form mounted (a lazy pane builds)
            painted.clear()
            await until(lambda: bool(painted))  # then drawn
            switch[name] = round(1000 * (time.perf_counter() - t), 1)
            switch_cpu[name] = round(1000 * (time.process_time() - cpu), 1)
        out["switch_ms"], out["switch_cpu_ms"] = switch, switch_cpu
        from overfit_tui.ui.scorecard_screen import ScorecardScreen

        t = time.perf_counter()
        app.action_scorecard()
        await until(lambda: isinstance(app.screen, ScorecardScreen))
        await pilot.pause(0)
        out["scorecard_ms"] = round(1000 * (time.perf_counter() - t), 1)
        out["rss_end_mb"] = _kb("VmHWM") / 1024
        out["torch_end"] = "torch" in sys.modules
    return out


def start_pane_has_runs(home: Path) -> bool:
    """Whether the first screen shows runs: a group of the start pane's studies is in the home."""
    sys.path.insert(0, str(ROOT / "src"))
    from overfit_tui.core.paths import Home
    from overfit_tui.core.presets import list_presets
    from overfit_tui.store import Store
    from overfit_tui.ui.app import panes

    h = Home.resolve(home)
    study = next(p.study for p in list_presets(h.presets_dir) if p.name == START)
    studies = next(s for s in panes().values() if study in s)
    return any(g["study"] in studies and sum(g["counts"].values()) for g in Store(h).index().values())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--home", default=None)
    ap.add_argument("--runs", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--rows", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        import asyncio

        print(json.dumps(asyncio.run(child(a.child, a.rows))))
        return
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start", flush=True)
    tmp = None
    home = a.home
    if home is None:
        sys.path.insert(0, str(ROOT / "src"))
        sys.path.insert(0, str(ROOT / "bench"))
        from bench_store import build_home

        tmp = tempfile.TemporaryDirectory(prefix="overfit-app-start-")
        home = str(build_home(Path(tmp.name), a.runs)[0])
        # the first open converts the old single-file store: not what a user's start pays
        from overfit_tui.core.paths import Home
        from overfit_tui.store import Store

        Store(Home.resolve(Path(home))).index()
    rows = start_pane_has_runs(Path(home))
    # as an installed package starts: from compiled bytecode (pip compiles it at install time).
    # This machine sets PYTHONDONTWRITEBYTECODE, which recompiled ~120 modules at every start
    # (0.75 s of CPU): the bytecode goes to a private cache, filled by one untimed warm-up start.
    cache = tempfile.TemporaryDirectory(prefix="overfit-app-pyc-")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update(PYTHONPATH=str(ROOT / "src"), PYTHONPYCACHEPREFIX=cache.name)
    rows = []
    for i in range(a.repeat + 1):
        got = subprocess.run(
            [sys.executable, __file__, "--child", home, *(["--rows"] if rows else [])],
            env=env,
            capture_output=True,
            text=True,
        )
        if got.returncode:
            sys.exit(f"the app's start failed:\n{got.stderr[-3000:]}")
        row = json.loads(got.stdout.strip().splitlines()[-1])
        print(("warm-up (compiling): " if i == 0 else "") + json.dumps(row), flush=True)
        if i:
            rows.append(row)
    med = {
        k: statistics.median(r[k] for r in rows)
        for k in ("import_s", "mounted_s", "paint_s", "paint_cpu_s", "screen_s", "cpu_s", "rss_mb")
    }
    for k in ("switch_ms", "switch_cpu_ms"):
        med[k + "_max"] = statistics.median(max(r[k].values(), default=0) for r in rows)
        med[k + "_median"] = statistics.median(statistics.median(r[k].values() or [0]) for r in rows)
    med["scorecard_ms"] = statistics.median(r["scorecard_ms"] for r in rows)
    print("median:", json.dumps({k: round(v, 3) for k, v in med.items()}))
    print(f"load average {os.getloadavg()[0]:.1f} at the end")
    cache.cleanup()
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()
