"""The home's queue and the Ray backend, end to end: N tiny real runs (default 50, one job each)
through the local queue, then through a local Ray instance, and per backend the total wall time
against the sum of the runs' own training time.

    python bench/bench_queue.py [--runs 50] [--slots 2] [--no-ray] [--root DIR]

A run's own time is `ended - started` (the worker's training, data in memory). The overhead a
backend adds per run is what the slots spent not training: (wall x slots - sum of own times) / N,
with the dispatch latency (left the queue -> started training: a process start and the torch
import locally with warm workers off, a hand-off to a warm worker or a Ray task otherwise) beside
it. The local queue runs twice, warm workers off (OVERFIT_TUI_WARM_S=0: a process per job) and
on; after each, one more single-run group measures launch -> first logged step (a warm slot
when warm workers are on). Each backend gets its own fresh home under
--root (a temporary folder by default, removed after).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def _group(n: int):
    from overfit_tui.studies.groups import group_from_dict

    return group_from_dict(
        {
            "study": "randomization",
            "name": "bench",
            "data": {"name": "mnist1d", "n_train": 200},
            "models": [{"name": "mlp", "width": 16}],
            "train": {"lr": 0.05, "lr_decay": 1.0, "batch_size": 100, "epochs": 4, "log_every": 2, "fuse": "off"},
            "params": {"corruption": [round(i / max(1, n - 1), 4) for i in range(n)], "inputs": []},
        }
    )


def first_step(store, gid: str) -> float | None:
    """When the group's first run logged its first step (epoch seconds): its start plus the
    loop's clock at that step event (log_every = 2 steps, so an upper bound on the first step)."""
    r = store.runs(gid)[0]
    steps = [e for e in store.metrics(r.id) if e["kind"] == "step"]
    return r.started + steps[0]["wall"] if steps and r.started else None


def one(home_dir: Path, n: int, slots: int, backend: str, address: str | None, warm: str | None = None) -> dict:
    """One backend's figures; `warm` sets OVERFIT_TUI_WARM_S for the home's scheduler ("0": cold)."""
    from overfit_tui.core.paths import Home
    from overfit_tui.runs.launcher import launch, wait
    from overfit_tui.runs.queue import update_state
    from overfit_tui.store import Store

    if warm is not None:
        os.environ["OVERFIT_TUI_WARM_S"] = warm
    store = Store(Home.resolve(home_dir))
    update_state(store, cpu_slots=slots)
    probe = None
    if backend == "local":  # the data set generated once, outside the timing (both local rows alike)
        wait(store, launch(store, _group(1), devices=["cpu"])[0], timeout=3600)
    t0 = time.perf_counter()
    gid, _ = launch(store, _group(n), devices=["cpu"], backend=backend, address=address)
    runs = wait(store, gid, timeout=3600)
    wall = time.perf_counter() - t0
    if backend == "local":  # launch -> first step of one more run, right after (a warm slot, if warm)
        t_launch = time.time()
        pid = launch(store, _group(1), devices=["cpu"])[0]
        wait(store, pid, timeout=3600)
        fs = first_step(store, pid)
        probe = fs - t_launch if fs else None
    own = [r.ended - r.started for r in runs if r.started and r.ended]
    lag = [r.started - r.dispatched for r in runs if r.dispatched and r.started]
    return {
        "backend": backend if warm is None else f"{backend}, {'cold' if warm == '0' else 'warm'}",
        "probe": probe,
        "finished": sum(r.status == "finished" for r in runs),
        "wall": wall,
        "own": sum(own),
        "own_mean": statistics.mean(own),
        "overhead": (wall * slots - sum(own)) / n,
        "lag": statistics.median(lag) if lag else float("nan"),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--slots", type=int, default=2, help="CPU slots of the local queue; CPUs of the local Ray")
    ap.add_argument("--no-ray", action="store_true")
    ap.add_argument("--root", type=Path, default=None)
    a = ap.parse_args()
    root = a.root or Path(tempfile.mkdtemp(prefix="bench-queue-"))
    rows = []
    try:
        rows.append(one(root / "local-cold", a.runs, a.slots, "local", None, warm="0"))
        rows.append(one(root / "local-warm", a.runs, a.slots, "local", None, warm="30"))
        if not a.no_ray:
            import ray

            ctx = ray.init(
                num_cpus=a.slots, include_dashboard=False, logging_level="ERROR", _temp_dir=str(root / "ray")
            )
            try:
                rows.append(one(root / "ray-home", a.runs, a.slots, "ray", ctx.address_info["gcs_address"]))
            finally:
                ray.shutdown()
    finally:
        if a.root is None:
            shutil.rmtree(root, ignore_errors=True)
    cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(f"{a.runs} tiny runs (MLP 16, 200 MNIST-1D samples, 4 epochs), {a.slots} slots")
    print(
        f"{'backend':12} {'done':>5} {'wall s':>8} {'sum own s':>10} {'own/run s':>10} {'overhead/run s':>15} "
        f"{'dispatch s':>11} {'launch->1st step s':>19}"
    )
    for r in rows:
        probe = f"{r['probe']:19.2f}" if r["probe"] is not None else f"{'-':>19}"
        print(
            f"{r['backend']:12} {r['finished']:5d} {r['wall']:8.1f} {r['own']:10.1f} {r['own_mean']:10.2f} "
            f"{r['overhead']:15.2f} {r['lag']:11.2f} {probe}"
        )
    print(f"(children's CPU: {cpu.ru_utime:.0f} s user, {cpu.ru_stime:.0f} s system)")


if __name__ == "__main__":
    main()
