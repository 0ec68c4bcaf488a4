"""Time each study's CPU preset (shrunk with --quick) in-process on a device, without the store.

    python bench/bench_studies.py [--device cuda] [--quick] [--data-dir DIR] [--cache DIR]

Prints one line per study: runs, wall time and a headline number, so the GPU code paths
(stacked training, float32/float64 solves on the device) are exercised and timed.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import torch

from overfit_tui.studies import get_study
from overfit_tui.studies.groups import load_group
from overfit_tui.studies.shared.context import ExecContext

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"

CASES = [
    ("smoke-mnist1d", {}, {}),
    ("randomization-mnist1d", {"train": {"epochs": 60}}, {"train": {"epochs": 600}}),
    ("expressivity-mnist1d", {"params": {"train_steps": 300}}, {}),
    ("kernel-mnist1d", {}, {}),
    ("double-descent-rff-mnist1d", {}, {}),
    ("double-descent-nn-mnist1d", {"train": {"epochs": 60}}, {}),
    ("kernel-mnist-full", {"data": {"n_train": 4000}}, {"data": {"n_train": 4000}}),  # the shared 4k subset
]


class Collect(ExecContext):
    def __init__(self, **kw):
        super().__init__(**kw)
        self.summaries: dict[int, tuple[str, dict]] = {}

    def finish(self, i, status, summary):
        self.summaries[i] = (status, summary)


def headline(study: str, summaries: dict) -> str:
    vals = [s for _, s in summaries.values()]
    if study == "randomization":
        fitted = sum(1 for s in vals if s.get("fitted"))
        return f"{fitted}/{len(vals)} fitted"
    if study == "kernel":
        return "test error " + ", ".join(f"{s['test_error']:.3f}" for s in vals)
    if study == "double_descent_rff":
        peak = max(vals, key=lambda s: s["test_risk"])
        return f"peak test risk {peak['test_risk']:.3g} at N={peak['n_features']} (n={peak['n']})"
    if study == "expressivity":
        return "max fit error " + ", ".join(f"{s['max_fit_error']:.2g}" for s in vals)
    statuses = sorted({st for st, _ in summaries.values()})
    return "status " + ",".join(statuses)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--quick", action="store_true", help="fewer epochs")
    ap.add_argument("--data-dir", default=str(SHARED))
    ap.add_argument("--cache", default=os.environ.get("OVERFIT_TUI_DATA", "/tmp/overfit-tui-bench"))
    a = ap.parse_args()
    torch.set_num_threads(1 if a.device == "cpu" else 4)
    print(f"torch {torch.__version__}, device {a.device}", flush=True)
    for preset, quick, full in CASES:
        group, _ = load_group(preset, quick if a.quick else full)
        if group.data.name == "mnist" and not (Path(a.data_dir) / "MNIST" / "raw").exists():
            continue
        study = get_study(group.study)
        runs = study.expand(group)
        ctx = Collect(device=a.device, data_dir=Path(a.data_dir), cache_dir=Path(a.cache))
        t0 = time.perf_counter()
        for job in study.jobs(runs, on_gpu=a.device.startswith("cuda")):
            sub = Collect(device=a.device, data_dir=Path(a.data_dir), cache_dir=Path(a.cache))
            study.execute([runs[i] for i in job], sub)
            ctx.summaries.update({job[i]: v for i, v in sub.summaries.items()})
        if a.device.startswith("cuda"):
            torch.cuda.synchronize()
        print(
            f"{preset:30} {len(runs):3d} runs {time.perf_counter() - t0:8.1f} s   {headline(group.study, ctx.summaries)}",
            flush=True,
        )


if __name__ == "__main__":
    main()
