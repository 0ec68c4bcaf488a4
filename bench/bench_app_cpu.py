"""The app's CPU while runs train (issue 29: <= 5 % of a core while 2 runs train).

Launches a group of 2 training runs in a fresh home (the smoke preset's MLP on MNIST-1D, true
and random labels, one seed, logging every 10 steps as shipped, enough epochs to outlast the
measurement), waits until both run, then opens the app in its own process, headless at
160x48 on that group's pane (its charts and run table follow the runs live), lets it settle,
and samples the app process's CPU (user + system, every thread) over `--seconds`. Reports
% of one core, and each thread's share (the event loop, the store feed, the device feed).
The runs are cancelled at the end.

    python bench/bench_app_cpu.py [--seconds 30] [--home DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PRESET = "smoke-mnist1d"
SETS = [
    "seeds=[0]",
    "params.corruption=[0.0, 1.0]",
    "params.inputs=[]",
    "train.epochs=100000",
    "train.target_train_acc=0",
]


def _threads() -> dict[str, float]:
    """CPU seconds (user + system) of each thread of this process, by Python thread name."""
    import threading

    names = {t.native_id: t.name for t in threading.enumerate()}
    tick = os.sysconf("SC_CLK_TCK")
    out: dict[str, float] = {}
    for tid in os.listdir("/proc/self/task"):
        name = names.get(int(tid), "other")
        try:
            with open(f"/proc/self/task/{tid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:  # a thread that ended meanwhile
            continue
        out[name] = out.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / tick
    return out


async def child(home: str, seconds: float) -> dict:
    import asyncio

    from overfit_tui.ui.app import make_app
    from overfit_tui.ui.run_table import RunTable

    app = make_app(home=home, preset=PRESET)
    async with app.run_test(size=(160, 48)) as pilot:
        start = time.perf_counter()
        while True:  # the running group on screen, with its curves
            pane = app.active_pane()
            gid = pane.current_group() if pane is not None and pane.is_mounted else None
            if gid and pane.query_one(RunTable).row_count == 2 and app.cache.events:
                break
            if time.perf_counter() - start > 120:
                raise TimeoutError("the app did not show the running group in 120 s")
            await asyncio.sleep(0.05)
        await pilot.pause(3.0)  # settle: the first screen is drawn
        running = sum(r.status == "running" for r in app.cache.records.values())
        redraws = {"n": 0}
        redraw = pane.redraw

        def counted() -> None:
            redraws["n"] += 1
            redraw()

        pane.redraw = counted
        steps = lambda: sum(
            max((e.get("step", 0) for e in app.cache.events.get(r, ())), default=0) for r in app.cache.records
        )
        cpu, threads, wall, steps0 = time.process_time(), _threads(), time.perf_counter(), steps()
        await asyncio.sleep(seconds)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        after = _threads()
        events = sum(len(v) for v in app.cache.events.values())
        steps_per_s = (steps() - steps0) / wall
    per_thread = {k: round(100 * (v - threads.get(k, 0.0)) / wall, 2) for k, v in after.items()}
    return {
        "app_cpu_pct": round(100 * cpu / wall, 2),
        "seconds": round(wall, 1),
        "running": running,
        "pane_redraws_per_s": round(redraws["n"] / wall, 2),
        "events_cached": events,
        "train_steps_per_s": round(steps_per_s, 1),  # both runs together, as the app saw them
        "threads_pct": {k: v for k, v in per_thread.items() if v > 0.05},
    }


def cli(home: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    cmd = [sys.executable, "-m", "overfit_tui", *args, "--home", str(home)]
    return subprocess.run(cmd, env=env, check=check, capture_output=True, text=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--home", default=None, help="a home to use (default: a fresh temporary one)")
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        import asyncio

        print(json.dumps(asyncio.run(child(a.child, a.seconds))))
        return
    sys.path.insert(0, str(ROOT / "src"))
    from overfit_tui.core.paths import Home
    from overfit_tui.store import Store

    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start", flush=True)
    tmp = tempfile.TemporaryDirectory(prefix="overfit-app-cpu-") if a.home is None else None
    home = Path(a.home or tmp.name)
    sets = [x for s in SETS for x in ("--set", s)]
    cli(home, "run", PRESET, *sets, "--detach", "--device", "cpu")
    store = Store(Home.resolve(home))
    gid = max(store.index(), key=lambda g: store.index()[g]["created"])
    try:
        deadline = time.time() + 300
        while sum(r.status == "running" for r in store.runs() if r.group == gid) < 2:
            if time.time() > deadline:
                sys.exit("the 2 runs did not start in 300 s")
            time.sleep(0.5)
        env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
        got = subprocess.run(
            [sys.executable, __file__, "--child", str(home), "--seconds", str(a.seconds)],
            env=env,
            capture_output=True,
            text=True,
        )
        if got.returncode:
            sys.exit(f"the app failed:\n{got.stderr[-3000:]}")
        row = json.loads(got.stdout.strip().splitlines()[-1])
        print(json.dumps(row))
        print(f"the app: {row['app_cpu_pct']:.1f} % of a core while {row['running']} runs train (goal <= 5 %)")
    finally:
        cli(home, "cancel", gid, check=False)
        print(f"load average {os.getloadavg()[0]:.1f} at the end")
        if tmp is not None:
            time.sleep(2)  # the scheduler records the cancellations before the folder goes
            tmp.cleanup()


if __name__ == "__main__":
    main()
