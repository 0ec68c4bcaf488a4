"""The store and the app at scale: homes of N real-shaped runs (N = 100, 1,000, 10,000 by
default), each with a realistic metrics log, and per N the time of the operations a user
waits on.

A home is built as a year of use would leave it: groups expanded from the shipped presets
(2 to 21 runs) and every 25th group a 198-run sweep, launched over 365 days (the newest a
randomization group, the pane the app opens on), mostly finished
(some failed, diverged, cancelled, lost), a tenth tagged, each run with ~500 metric events
(~85 KB: step losses, per-epoch evaluations, a few spikes). It is written as one old-style
store.json, so opening it first measures the conversion to the per-group layout.

    python bench/bench_store.py [--sizes 100,1000,10000] [--root DIR] [--keep] [--no-app]

Printed per N: the conversion; opening the store; one status update in an active group (a
claim) and the one that ends the group; tagging a finished run; `get_run` in an open store
and in a fresh one; the `runs` CLI for one group, filtered by status, and `--json` of every
run (wall, CPU, peak memory); the app (a headless pilot in its own process): start to first
screen, idle CPU over 10 s, memory, opening a 50-run comparison.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PRESETS = [
    "smoke-mnist1d",
    "randomization-mnist1d",
    "double-descent-nn-mnist1d",
    "double-descent-rff-mnist1d",
    "expressivity-mnist1d",
    "kernel-mnist1d",
    "regularization-mnist1d",
    "randomization-cifar10-mlp",
    "double-descent-nn-mnist",
]
DAY = 86400.0


# -- building a home -------------------------------------------------------------------------
def _shapes() -> list[tuple[str, list[dict], dict]]:
    """(preset, run records of one launch, group record) for each preset, expanded for real."""
    from overfit_tui.runs.records import new_group_record, new_run_records
    from overfit_tui.studies import get_study
    from overfit_tui.studies.groups import load_group

    out = []
    for name in PRESETS:
        group, p = load_group(name)
        study = get_study(group.study)
        runs = study.expand(group)
        grec = new_group_record(group, p.name, str(p.path))
        out.append((name, new_run_records(grec["id"], runs, study.jobs(runs), p.name), grec))
    return out


def _metrics_template(rng: random.Random, epochs: int = 100, steps_per_epoch: int = 4) -> bytes:
    """One run's log: a step event per 1/4 epoch, an evaluation per epoch, a few loss spikes."""
    lines, step, lr = [], 0, 0.1
    fit = rng.uniform(20, 90)
    for epoch in range(epochs):
        for k in range(steps_per_epoch):
            step += 25
            t = epoch + (k + 1) / steps_per_epoch
            loss = 2.3 * 2.718 ** (-t / fit * 4) + 0.01 + rng.gauss(0, 0.02)
            if rng.random() < 0.01:
                loss *= 5  # a spike the charts must keep
            ev = {"kind": "step", "step": step, "epoch": t, "train_loss": loss, "lr": lr, "wall": t * 0.8}
            lines.append(json.dumps({**ev, "samples_per_s": rng.uniform(9e4, 1.2e5)}))
        acc = min(1.0, (epoch + 1) / fit)
        test = 0.3 + 0.4 * acc + rng.gauss(0, 0.01)
        ev = {"kind": "eval", "step": step, "epoch": epoch + 1.0, "train_loss": loss, "train_acc": acc}
        lines.append(json.dumps({**ev, "test_loss": 1.6 - test, "test_acc": test, "lr": lr, "wall": (epoch + 1) * 0.8}))
        lr *= 0.995
    return ("\n".join(lines) + "\n").encode()


def build_home(root: Path, n: int, seed: int = 0) -> tuple[Path, float]:
    """A home of `n` runs as an old single-file store plus metric logs; returns (home, seconds)."""
    from overfit_tui.core.ids import new_group_id, new_run_id
    from overfit_tui.store.schema import ACTIVE

    t0 = time.perf_counter()
    rng = random.Random(seed)
    shapes = _shapes()
    templates = [_metrics_template(rng) for _ in range(16)]
    home = root / f"home-{n}"
    shutil.rmtree(home, ignore_errors=True)
    (home / "runs").mkdir(parents=True)
    start = time.time() - 365 * DAY
    runs, groups, i = {}, {}, 0
    last = min(n, len(shapes[1][1]))  # the newest group: a randomization sweep (the pane the app opens on)
    while len(runs) < n:
        final = len(runs) >= n - last
        name, recs, grec = shapes[1] if final else shapes[rng.randrange(len(shapes))]
        recs = [dict(r) for r in recs] * (11 if len(groups) % 25 == 24 else 1)  # every 25th: a 198-run sweep
        recs = recs[: (n if final else n - last) - len(runs)]
        gid = new_group_id(name)
        created = start + 365 * DAY * len(runs) / n
        groups[str(len(groups) + 1)] = {**grec, "id": gid, "created": created, "ended": created + 3600}
        for k, rec in enumerate(recs[: n - len(runs)]):
            status = rng.choices(["finished", "failed", "diverged", "cancelled", "lost"], [90, 4, 2, 3, 1])[0]
            assert status not in ACTIVE
            rid = new_run_id(rec["spec_hash"])
            acc = rng.uniform(0.3, 1.0)
            runs[str(len(runs) + 1)] = {
                **rec,
                "id": rid,
                "group": gid,
                "index": k,
                "status": status,
                "pid": 4_000_000 + i,
                "device": "cpu",
                "created": created,
                "started": created + 5,
                "ended": created + 600,
                "summary": {
                    "final_train_acc": acc,
                    "final_test_acc": acc * 0.6,
                    "final_train_loss": 1 - acc,
                    "final_test_loss": 1.8 - acc,
                    "steps_to_fit": rng.randrange(100, 5000),
                    "epochs_to_fit": rng.randrange(1, 100),
                    "seconds_to_fit": rng.uniform(1, 300),
                },
                "provenance": {
                    "overfit_tui": "0.1.0",
                    "torch": "2.11.0",
                    "cuda": None,
                    "cudnn": None,
                    "device": "cpu",
                    "device_name": "cpu",
                    "threads": 1,
                    "python": "3.11.7",
                    "platform": "Linux-6.1-x86_64",
                    "host": "bench-box",
                },
                "error": "Traceback (most recent call last): ...\nRuntimeError: out of memory"
                if status == "failed"
                else None,
                "tags": ["baseline"] if rng.random() < 0.1 else [],
                "notes": "rerun with a smaller lr" if rng.random() < 0.02 else "",
                "log": str(home / "runs" / rid / "worker.log"),
            }
            run_dir = home / "runs" / rid
            run_dir.mkdir()
            (run_dir / "metrics.jsonl").write_bytes(templates[i % len(templates)])
            i += 1
    (home / "store.json").write_text(json.dumps({"runs": runs, "groups": groups}))
    return home, time.perf_counter() - t0


# -- measuring -------------------------------------------------------------------------------
def _ms(f, repeat: int = 1) -> float:
    """Median wall time of `f()` in milliseconds."""
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        f()
        out.append((time.perf_counter() - t) * 1e3)
    return statistics.median(out)


def store_ops(home: Path) -> dict[str, float]:
    from overfit_tui.core.paths import Home
    from overfit_tui.store import Store
    from overfit_tui.store.schema import group_record

    h = Home.resolve(home)
    out = {"convert_s": _ms(lambda: Store(h)) / 1e3 if h.store_file.exists() else 0.0}
    out["open_ms"] = _ms(lambda: Store(h), 5)
    store = Store(h)
    rng = random.Random(1)
    ids = rng.sample(sorted(store._ids()), 30)
    out["get_run_ms"] = _ms(lambda: store.get_run(ids.pop()), 20)
    out["get_run_fresh_ms"] = _ms(lambda: Store(h).get_run(ids.pop()), 5)
    # an active group of 20 queued runs, as a launch leaves it (its scheduler: this process)
    template = store.get_run(next(iter(store._ids()))).to_dict()  # the stored form the new records copy
    gid = f"bench-active-{os.getpid()}"
    recs = [
        {**template, "id": f"bench-{os.getpid()}-{k}", "group": gid, "status": "queued", "index": k} for k in range(20)
    ]
    store.add_group(group_record(gid, gid, template["study"], None, {}, None, scheduler_pid=os.getpid()), recs)
    claims = iter(r["id"] for r in recs)
    out["status_update_ms"] = _ms(
        lambda: store.transition(next(claims), ("queued",), status="running", pid=os.getpid()), 19
    )
    last = next(claims)
    store.transition(last, ("queued",), status="running", pid=os.getpid())
    for r in recs[:-1]:
        store.transition(r["id"], ("running",), status="finished")
    out["status_update_ending_group_ms"] = _ms(lambda: store.transition(last, ("running",), status="finished"))
    finished = iter(rng.sample(sorted(store._ids()), 10))
    out["tag_finished_run_ms"] = _ms(
        lambda: store.modify_runs([next(finished)], lambda r: r["tags"].append("b") or True), 9
    )
    store.remove_runs([r["id"] for r in recs])
    return out


def cli(home: Path, *args: str) -> dict[str, float]:
    """One `overfit-tui` command in its own process: wall and CPU seconds, peak memory in MB."""
    out = home.parent / "time.txt"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    cmd = ["/usr/bin/time", "-f", "%e %U %S %M", "-o", str(out), sys.executable, "-m", "overfit_tui", *args]
    subprocess.run([*cmd, "--home", str(home)], env=env, check=True, stdout=subprocess.DEVNULL)
    wall, user, system, kb = out.read_text().split()[-4:]
    return {"wall_s": float(wall), "cpu_s": float(user) + float(system), "peak_mb": int(kb) / 1024}


BASELINE = """
import json, os, statistics, sys, time
from overfit_tui.core.paths import Home
from overfit_tui.store import Store
store = Store(Home.resolve(sys.argv[1]))
runs = store.runs()
ids = [r.id for r in runs][:: max(1, len(runs) // 10)][:10]
def ms(f):
    out = []
    for rid in ids:
        t = time.perf_counter(); f(rid); out.append((time.perf_counter() - t) * 1e3)
    return statistics.median(out)
from overfit_tui.store.schema import ENDED
print(json.dumps({"status_update_ms": ms(lambda r: store.transition(r, ENDED, status="lost")),
                  "get_run_ms": ms(store.get_run)}))
"""


def baseline(home: Path, ref: str) -> dict:
    """The same store in the single-file layout, operated by the code of git `ref` (before the split)."""
    old_src = home.parent / "old-src"
    if not old_src.exists():
        old_src.mkdir()
        tar = subprocess.run(["git", "-C", str(ROOT), "archive", ref, "src"], check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(old_src)], input=tar, check=True)
    old_home = home.parent / f"old-{home.name}"
    shutil.rmtree(old_home, ignore_errors=True)
    old_home.mkdir()
    shutil.copy(next(home.glob("store.json.converted-*")), old_home / "store.json")
    env = {**os.environ, "PYTHONPATH": str(old_src / "src")}
    got = subprocess.run(
        [sys.executable, "-c", BASELINE, str(old_home)], env=env, check=True, capture_output=True, text=True
    )
    shutil.rmtree(old_home)
    return json.loads(got.stdout)


def app_probe(home: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    got = subprocess.run(
        [sys.executable, str(Path(__file__).parent / "bench_app_probe.py"), str(home)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(got.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="100,1000,10000")
    ap.add_argument("--root", default="/tmp/overfit-bench")
    ap.add_argument("--keep", action="store_true", help="keep the homes (rebuilt at each run otherwise)")
    ap.add_argument("--no-app", action="store_true")
    ap.add_argument("--baseline", default=None, help="git ref of the single-file store to time too (e.g. 0548b21)")
    a = ap.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    root = Path(a.root)
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start", flush=True)
    rows = []
    for n in [int(s) for s in a.sizes.split(",")]:
        home, build_s = build_home(root, n)
        row = {"n": n, "build_s": build_s, **store_ops(home)}
        if a.baseline:
            row["baseline"] = baseline(home, a.baseline)
        from overfit_tui.core.paths import Home
        from overfit_tui.store import Store

        store = Store(Home.resolve(home))
        gid = max(store.index(), key=lambda g: store.index()[g]["created"])
        row["cli_group"] = cli(home, "runs", "--group", gid)
        row["cli_status"] = cli(home, "runs", "--status", "running")
        row["cli_json"] = cli(home, "runs", "--json")
        if not a.no_app:
            row["app"] = app_probe(home)
        rows.append(row)
        print(json.dumps(row), flush=True)
        if not a.keep:
            shutil.rmtree(home, ignore_errors=True)
    print(f"load average {os.getloadavg()[0]:.1f} at the end")
    print(table(rows))


def table(rows: list[dict]) -> str:
    lines = [f"{'':44s}" + "".join(f"{'N = ' + format(r['n'], ','):>16s}" for r in rows)]

    def line(label: str, f) -> None:
        lines.append(f"{label:44s}" + "".join(f"{f(r):>16s}" for r in rows))

    line("convert the old store.json (once)", lambda r: f"{r['convert_s']:.1f} s")
    line("open the store", lambda r: f"{r['open_ms']:.1f} ms")
    line("status update (claim, active group)", lambda r: f"{r['status_update_ms']:.1f} ms")
    line("status update ending a group", lambda r: f"{r['status_update_ending_group_ms']:.1f} ms")
    line("tag a finished run", lambda r: f"{r['tag_finished_run_ms']:.1f} ms")
    line("get_run (open store)", lambda r: f"{r['get_run_ms']:.2f} ms")
    if rows and "baseline" in rows[0]:
        line("  before the split: status update", lambda r: f"{r['baseline']['status_update_ms']:.0f} ms")
        line("  before the split: get_run", lambda r: f"{r['baseline']['get_run_ms']:.0f} ms")
    line("get_run (fresh store: open + get)", lambda r: f"{r['get_run_fresh_ms']:.1f} ms")
    for key, label in (
        ("cli_group", "runs --group G"),
        ("cli_status", "runs --status running"),
        ("cli_json", "runs --json (all)"),
    ):
        line(f"{label} (wall / CPU)", lambda r, k=key: f"{r[k]['wall_s']:.2f}/{r[k]['cpu_s']:.2f} s")
        line(f"{label} (peak memory)", lambda r, k=key: f"{r[k]['peak_mb']:.0f} MB")
    if rows and "app" in rows[0]:
        line("app: start to first screen", lambda r: f"{r['app']['start_s']:.2f} s")
        line("  the same, with Python's imports", lambda r: f"{r['app']['start_with_imports_s']:.2f} s")
        line("app: idle CPU over 10 s", lambda r: f"{r['app']['idle_cpu_pct']:.1f} %")
        line("app: memory (resident, peak)", lambda r: f"{r['app']['rss_mb']:.0f}/{r['app']['peak_mb']:.0f} MB")
        line("app: open a 50-run comparison", lambda r: f"{r['app']['compare_s']:.2f} s")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
