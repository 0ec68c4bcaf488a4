"""How much the BatchNorm study's landscape probes slow training (studies/landscape.py).

Two figures per workload, measured in one process:
- training with probes every N steps vs the same training without (steps/s, slowdown);
- one probe over E step sizes, batched (vmap over E stacked weight copies) vs a Python loop
  over E (one grad call each), in units of one training step.
Times are the best of `--rounds` interleaved repeats, in CPU seconds of this process (one
torch thread: robust to a shared machine's load) and, on a GPU, in wall seconds.

    python bench/bench_bnsmooth.py [--device cpu|cuda] [--threads 1] [--quick]
"""

from __future__ import annotations

import argparse
import os
import time

import torch

from overfit_tui.core.specs import DataSpec, ModelSpec, TrainSpec
from overfit_tui.engine.data import prepare
from overfit_tui.engine.hooks import Hook, Hooks
from overfit_tui.engine.models import build_model
from overfit_tui.engine.train import Member, train
from overfit_tui.studies.batchnorm.landscape import LandscapeProbe, eta_grid, model_loss, probe_along_gradient, probing

WORKLOADS = [
    ("MNIST-1D MLP 4x128 + BN", ModelSpec(name="mlp", width=128, depth=4, batchnorm=True)),
    ("MNIST-1D cnn1d w32 + BN", ModelSpec(name="cnn1d", width=32, batchnorm=True)),
]


def _clock(device: str) -> float:
    if device.startswith("cuda"):
        torch.cuda.synchronize()
        return time.perf_counter()
    return time.process_time()


def timed_training(spec: ModelSpec, ds, device: str, epochs: int, every: int) -> float:
    """Seconds of a training with probes every `every` steps (0: none), evaluation included."""
    model = build_model(spec, ds.input_shape, ds.num_classes, 0).to(device)
    d = ds.to(device)
    member = Member(model, d.x_train, d.y_train, d.x_test, d.y_test, 0)
    ts = TrainSpec(lr=0.5, momentum=0.0, lr_decay=1.0, batch_size=128, epochs=epochs, target_train_acc=0.0)
    hook = LandscapeProbe(every, 0.5, 4.0, 8) if every else Hook()
    t0 = _clock(device)
    train([member], ts, Hooks(hook))
    return _clock(device) - t0


def probe_costs(spec: ModelSpec, ds, device: str, reps: int) -> tuple[float, float, float]:
    """Seconds of one training step, one batched probe (8 eta) and one looped probe (8 grad calls)."""
    model = build_model(spec, ds.input_shape, ds.num_classes, 0).to(device)
    x, y = ds.x_train[:128].to(device), ds.y_train[:128].to(device)
    params = dict(model.named_parameters())
    etas = eta_grid(0.5, 0.5, 4.0, 8)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)

    def step():
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        opt.step()

    with probing(model, x.device):
        f = model_loss(model, {}, x, y, "ce")

        def batched():
            probe_along_gradient(f, params, etas)

        def looped():
            w = {n: t.detach() for n, t in params.items()}
            g = torch.func.grad(f)(w)
            for e in etas.tolist():
                torch.func.grad(f)({n: w[n] - e * g[n] for n in w})

        return tuple(_best(fn, reps, device) for fn in (step, batched, looped))


def _best(fn, reps: int, device: str) -> float:
    fn()  # warm up
    times = []
    for _ in range(reps):
        t0 = _clock(device)
        fn()
        times.append(_clock(device) - t0)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved repeats of each training; the best counts")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    cache = os.environ.get("OVERFIT_TUI_DATA", "/tmp/overfit-tui-bench-data")
    ds = prepare(DataSpec(), cache, cache)
    epochs, reps = (3, 5) if args.quick else (10, 20)
    clock = "wall" if args.device.startswith("cuda") else "CPU"
    steps = epochs * 32
    print(f"torch {torch.__version__}, threads {args.threads}, device {args.device}, {steps} steps, {clock} time")
    print(f"{'workload':28s} {'probes':>14s} {'steps/s':>9s} {'slowdown':>9s}")
    for name, spec in WORKLOADS:
        best = {every: float("inf") for every in (0, 50, 10)}
        for _ in range(args.rounds):
            for every in best:
                best[every] = min(best[every], timed_training(spec, ds, args.device, epochs, every))
        for every, secs in best.items():
            what = f"every {every} steps" if every else "none"
            print(f"{name:28s} {what:>14s} {steps / secs:9.0f} {secs / best[0]:8.2f}x")
    print(f"\n{'workload':28s} {'1 step':>9s} {'probe, batched (8 eta)':>24s} {'probe, loop over eta':>22s}")
    for name, spec in WORKLOADS:
        step, batched, looped = probe_costs(spec, ds, args.device, reps)
        print(
            f"{name:28s} {step * 1e3:7.2f}ms {batched * 1e3:9.2f}ms = {batched / step:5.1f} steps"
            f" {looped * 1e3:8.2f}ms = {looped / step:5.1f} steps"
        )


if __name__ == "__main__":
    main()
