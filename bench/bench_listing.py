"""Light listings: the CPU time of `overfit-tui runs` (the table) on a home of N runs, and the
app's first screen (time and memory) on the same home, each in a fresh interpreter.

The home is written through the store API (`Store.add_group`), as launches leave it: groups
expanded from shipped presets (the newest a randomization group), mostly finished with a
summary, each run with a short metrics log.

    python bench/bench_listing.py [--runs 10000] [--root DIR] [--keep] [--reuse] [--no-app]

Prints, per command: wall seconds, CPU seconds (user + system of the child), peak RSS (MB),
and whether torch was imported.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PRESETS = ["smoke-mnist1d", "double-descent-nn-mnist1d", "expressivity-mnist1d", "randomization-mnist1d"]
DAY = 86400.0


def build_home(home: Path, n: int, seed: int = 0) -> float:
    """Write `n` runs into a fresh home through the store; returns seconds."""
    from overfit_tui.core.ids import new_group_id, new_run_id
    from overfit_tui.core.paths import Home
    from overfit_tui.runs.records import new_group_record, new_run_records
    from overfit_tui.store import Store
    from overfit_tui.studies import get_study
    from overfit_tui.studies.groups import load_group

    t0 = time.perf_counter()
    shutil.rmtree(home, ignore_errors=True)
    store = Store(Home.resolve(home))
    rng = random.Random(seed)
    shapes = []
    for name in PRESETS:
        group, p = load_group(name)
        study = get_study(group.study)
        runs = study.expand(group)
        shapes.append((name, group, p, runs, study.jobs(runs)))
    log = "".join(
        json.dumps({"kind": "eval", "step": 25 * k, "epoch": float(k), "train_acc": k / 20, "test_acc": k / 40}) + "\n"
        for k in range(1, 21)
    ).encode()
    start, done = time.time() - 365 * DAY, 0
    while done < n:
        name, group, p, runs, jobs = shapes[-1] if n - done <= len(shapes[-1][3]) else rng.choice(shapes)
        grec = new_group_record(group, p.name, str(p.path))
        created = start + 365 * DAY * done / n
        grec.update(id=new_group_id(name), created=created, ended=created + 3600)
        recs = new_run_records(grec["id"], runs, jobs, p.name)[: n - done]
        for rec in recs:
            status = rng.choices(["finished", "failed", "diverged", "cancelled", "lost"], [90, 4, 2, 3, 1])[0]
            acc = rng.uniform(0.3, 1.0)
            rec.update(
                id=new_run_id(rec["spec_hash"]),
                status=status,
                created=created,
                started=created + 5,
                ended=created + 600,
                device="cpu",
                summary={"final_train_acc": acc, "final_test_acc": acc * 0.6, "final_train_loss": 1 - acc},
                error="RuntimeError: out of memory" if status == "failed" else None,
                tags=["baseline"] if rng.random() < 0.1 else [],
            )
            (home / "runs" / rec["id"]).mkdir(parents=True)
            (home / "runs" / rec["id"] / "metrics.jsonl").write_bytes(log)
        store.add_group(grec, recs)
        done += len(recs)
    return time.perf_counter() - t0


CLI = """
import resource, sys, time
t0 = time.perf_counter()
sys.argv = ["overfit-tui", *sys.argv[1:]]
from overfit_tui.cli import main
try:
    main()
except SystemExit as e:
    if e.code:
        raise
finally:
    u = resource.getrusage(resource.RUSAGE_SELF)
    hwm = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:")) / 1024
    print(f"BENCH wall={time.perf_counter() - t0:.2f} cpu={u.ru_utime + u.ru_stime:.2f} peak_mb={hwm:.0f} "
          f"torch={'torch' in sys.modules}", file=sys.stderr)
"""


def _child(argv: list[str]) -> tuple[str, str]:
    """Run `argv` in a fresh interpreter; (stdout, the BENCH line it printed on stderr)."""
    p = subprocess.run(argv, capture_output=True, text=True, env={**os.environ, "COLUMNS": "160"})
    if p.returncode != 0:
        raise SystemExit(f"{argv} failed ({p.returncode}):\n{p.stderr[-3000:]}")
    return p.stdout, next((ln for ln in p.stderr.splitlines() if ln.startswith("BENCH")), "")


PROBE = """
import asyncio, json, sys, time
t0 = time.perf_counter()
from overfit_tui.ui.app import make_app
from overfit_tui.ui.run_table import RunTable

async def main():
    app = make_app(home=sys.argv[1])
    async with app.run_test(size=(160, 48)) as pilot:
        def first():
            pane = app.active_pane()
            gid = pane.current_group() if pane else None
            return bool(gid and app.cache.loaded(gid) and pane.query_one(RunTable).row_count)
        while not first():
            if time.perf_counter() - t0 > 120:
                raise SystemExit("no first screen in 120 s")
            await asyncio.sleep(0.01)
        t = time.perf_counter() - t0
        rss = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmRSS:")) / 1024
        cpu = time.process_time()
        print(json.dumps({"first_screen_s": round(t, 2), "cpu_s": round(cpu, 2), "rss_mb": round(rss), "torch": "torch" in sys.modules}))
        app.exit()

asyncio.run(main())
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=10_000)
    ap.add_argument("--root", type=Path, default=None)
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--no-app", action="store_true")
    ap.add_argument("--reuse", action="store_true", help="use the home a --keep run left in --root")
    a = ap.parse_args()
    root = a.root or Path(tempfile.mkdtemp(prefix="bench-listing-"))
    home = root / f"home-{a.runs}"
    if not (a.reuse and (home / "store").is_dir()):
        print(f"building {a.runs:,} runs in {home} ...", flush=True)
        print(f"  built in {build_home(home, a.runs):.1f} s", flush=True)
    for name, args in (("--help", ["--help"]), ("presets", ["presets"]), ("runs", ["runs", "--home", str(home)])):
        out, line = _child([sys.executable, "-c", CLI, *args])
        print(f"overfit-tui {name}: {line[6:]} ({out.count(chr(10))} lines)", flush=True)
    if not a.no_app:
        out, _ = _child([sys.executable, "-c", PROBE, str(home)])
        print(f"app first screen: {out.strip().splitlines()[-1]}", flush=True)
    if not a.keep and a.root is None:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
