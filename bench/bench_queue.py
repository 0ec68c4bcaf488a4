"""The home's queue and the Ray backend, end to end: N tiny real runs (default 50, one job each)
through the local queue, then through a local Ray instance, and per backend the total wall time
against the sum of the runs' own training time.

    python bench/bench_queue.py [--runs 50] [--slots 2] [--no-ray] [--root DIR]

A run's own time is `ended - started` (the worker's training, data in memory). The overhead a
backend adds per run is what the slots spent not training: (wall x slots - sum of own times) / N,
with the dispatch latency (left the queue -> started training: a process start and the torch
import locally, a task hand-off on Ray) beside it. Each backend gets its own fresh home under
--root (a temporary folder by default, removed after).
"""

from __future__ import annotations

import argparse
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


def one(home_dir: Path, n: int, slots: int, backend: str, address: str | None) -> dict:
    from overfit_tui.core.paths import Home
    from overfit_tui.runs.launcher import launch, wait
    from overfit_tui.runs.queue import update_state
    from overfit_tui.store import Store

    store = Store(Home.resolve(home_dir))
    update_state(store, cpu_slots=slots)
    t0 = time.perf_counter()
    gid, _ = launch(store, _group(n), devices=["cpu"], backend=backend, address=address)
    runs = wait(store, gid, timeout=3600)
    wall = time.perf_counter() - t0
    own = [r["ended"] - r["started"] for r in runs if r["started"] and r["ended"]]
    lag = [r["started"] - r["dispatched"] for r in runs if r.get("dispatched") and r["started"]]
    return {
        "backend": backend,
        "finished": sum(r["status"] == "finished" for r in runs),
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
        rows.append(one(root / "local", a.runs, a.slots, "local", None))
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
        f"{'backend':8} {'done':>5} {'wall s':>8} {'sum own s':>10} {'own/run s':>10} {'overhead/run s':>15} {'dispatch s':>11}"
    )
    for r in rows:
        print(
            f"{r['backend']:8} {r['finished']:5d} {r['wall']:8.1f} {r['own']:10.1f} {r['own_mean']:10.2f} "
            f"{r['overhead']:15.2f} {r['lag']:11.2f}"
        )
    print(f"(children's CPU: {cpu.ru_utime:.0f} s user, {cpu.ru_stime:.0f} s system)")


if __name__ == "__main__":
    main()
