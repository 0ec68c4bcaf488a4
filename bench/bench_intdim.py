"""Steps per second of subspace training (θ = θ₀ + P θ_d) against the directly trained model,
for dense, sparse and Fastfood projections, on Li et al.'s MNIST FC 784-200-200-10
(D = 199,210) with MNIST-shaped random inputs (no data set needed).

    python bench/bench_intdim.py [--device cpu] [--dims 100,1000,10000] [--steps 50] [--max-mb 1024]

One line per (projection, d): steps/s and the slowdown against the direct model. A dense
or sparse P above --max-mb is not built (the study would switch to Fastfood, as it says).
The step is the engine's: forward, cross-entropy, backward, Adam update.
"""

from __future__ import annotations

import argparse
import time

import torch

from overfit_tui.core.specs import ModelSpec, TrainSpec
from overfit_tui.engine.batches import batch_losses
from overfit_tui.engine.loop import make_optimizer
from overfit_tui.engine.models import build_model, param_count
from overfit_tui.engine.projections import CLASSES
from overfit_tui.engine.subspace import SubspaceModel


def steps_per_s(model: torch.nn.Module, device: str, steps: int) -> float:
    opt = make_optimizer(model.parameters(), TrainSpec(optimizer="adam", lr=1e-3))
    g = torch.Generator(device).manual_seed(0)
    x = torch.randn(128, 1, 28, 28, generator=g, device=device)
    y = torch.randint(0, 10, (128,), generator=g, device=device)

    def step():
        loss = batch_losses(model(x).unsqueeze(0), y.unsqueeze(0), "ce").sum()
        opt.zero_grad()
        loss.backward()
        opt.step()

    for _ in range(3):  # warm-up
        step()
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    t = time.perf_counter()
    for _ in range(steps):
        step()
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    return steps / (time.perf_counter() - t)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--dims", default="100,1000,10000")
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--max-mb", type=int, default=1024)
    a = ap.parse_args()
    if a.device == "cpu":
        torch.set_num_threads(1)
    spec = ModelSpec(name="mlp", width=200, depth=2)
    base = lambda: build_model(spec, (1, 28, 28), 10, seed=0).to(a.device)
    D = param_count(base())
    direct = steps_per_s(base(), a.device, a.steps)
    print(f"MNIST FC 784-200-200-10, D = {D:,}, batch 128, Adam, {a.device}, torch threads {torch.get_num_threads()}")
    print(f"{'direct':>9} {'':>8} {direct:8.1f} steps/s")
    for kind, cls in CLASSES.items():
        for d in (int(v) for v in a.dims.split(",")):
            need = cls.nbytes(D, d) / 2**20
            if kind != "fastfood" and need > a.max_mb:
                print(f"{kind:>9} d={d:<6} skipped: P needs {need:,.0f} MiB > {a.max_mb} (the study uses Fastfood)")
                continue
            t = time.perf_counter()
            model = SubspaceModel(base(), cls(D, d, seed=1, device=a.device))
            build = time.perf_counter() - t
            sps = steps_per_s(model, a.device, a.steps)
            print(
                f"{kind:>9} d={d:<6} {sps:8.1f} steps/s  {direct / sps:5.1f}x slower than direct  (P built in {build:.2f} s)"
            )


if __name__ == "__main__":
    main()
