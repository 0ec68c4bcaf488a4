"""Where a stacked fused step's time goes (issue 29, "a leaner step"): one process, one thread,
thread CPU, MLP 40-512-10 at batch 128 on MNIST-1D-shaped data (4000 x 40, 10 classes).

Rows, all in this process, each the median of `--reps` rounds taken in turn (a round times every
row once, so load drifts hit all rows alike):
  (a) the textbook loop (bench_step.py: model, CrossEntropyLoss, torch.optim.SGD, DataLoader,
      zero_grad/backward/step/.item());
  (b) the engine training 1 run (engine/train.py: the fused step, engine/fused.py);
  (c) the engine training K runs stacked, per run; (c') the bare stacked step (FusedMLPStep.step
      alone, no loop), and its phases (gather, forward, loss, backward, update: the step's own
      phase clock);
  (d) the GEMM floor: the step's matrix products alone (baddbmm/bmm with the step's shapes and
      layouts, K batched), the same products per member (addmm/mm, one member at a time), and the
      step's arithmetic at this core's fp32 GEMM peak (a 512x784x512 product).
The verdict line says what the floor allows: textbook / (GEMMs per member) is the most any
stacking of this step could reach if everything but the matrix products cost nothing.

    python bench/bench_stack.py [--reps 5] [--k 9] [--quick]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
import types
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_step import engine_step, gemm_peak, mlp, step_flops, textbook_step

from overfit_tui.core.specs import TrainSpec
from overfit_tui.engine.fused import FusedMLPStep, fused_step_for
from overfit_tui.engine.loop import make_optimizer
from overfit_tui.engine.nets import SingleNet, StackedNet

DIMS, BS, N = [40, 512, 10], 128, 4000
PHASES = FusedMLPStep.PHASES


def step_maker(rev: str):
    """fused_step_for from engine/fused.py as of git revision `rev` (for before/after rows in
    one process: the file imports only torch)."""
    root = Path(__file__).resolve().parents[1]
    src = subprocess.run(
        ["git", "show", f"{rev}:src/overfit_tui/engine/fused.py"], cwd=root, capture_output=True, text=True, check=True
    ).stdout
    mod = types.ModuleType(f"fused_{rev}")
    exec(compile(src, f"{rev}:engine/fused.py", "exec"), mod.__dict__)
    return mod.fused_step_for


def bare(k: int, x, y, steps: int, make=fused_step_for) -> tuple[float, dict[str, float]]:
    """Seconds per bare FusedMLPStep.step of k stacked members, and per phase (the step's clock;
    none from a step class without one). `make` builds the step (another revision's, --against)."""
    models = [mlp(DIMS, i) for i in range(k)]
    net = StackedNet(models) if k > 1 else SingleNet(models[0])
    opt = make_optimizer(net.params(), TrainSpec(lr=0.01, momentum=0.9))
    step = make(net, "ce")
    xtr, ytr = x.expand(k, *x.shape).contiguous(), y.expand(k, *y.shape).contiguous()
    gens = [torch.Generator().manual_seed(i) for i in range(k)]
    # the loop's batch order: a permutation per member and epoch, full batches (the rows a step
    # gathers are as cold as in training; a few recycled batches would sit in cache)
    epochs = (2 * steps + 10) * BS // N + 1
    perms = torch.cat([torch.stack([torch.randperm(N, generator=g) for g in gens]) for _ in range(epochs)], 1)
    idxs = [perms[:, j * BS : (j + 1) * BS] for j in range(2 * steps + 5)]
    phases = dict.fromkeys(PHASES, 0.0)
    last = [0.0]

    def clock(name: str) -> None:
        now = time.thread_time()
        phases[name] += now - last[0]
        last[0] = now

    for i in range(5):  # warm-up (the first step makes the momentum buffers)
        step.step(xtr, ytr, idxs[i], opt)
    t0 = time.thread_time()
    for i in range(5, steps + 5):
        step.step(xtr, ytr, idxs[i], opt)
    total = (time.thread_time() - t0) / steps
    if not hasattr(step, "PHASES"):
        return total, {}
    step.clock = clock
    for i in range(steps + 5, 2 * steps + 5):
        last[0] = time.thread_time()
        step.step(xtr, ytr, idxs[i], opt)
    return total, {p: t / steps for p, t in phases.items()}


def step_gemms(k: int, batched: bool):
    """The stacked step's matrix products alone (forward, weight and input gradients), in its
    layouts ([K, features, B] activations), batched over k members or one member at a time."""
    r = torch.randn
    d, h, c = DIMS
    x, w1, b1, w2, b2 = r(k, BS, d), r(k, h, d), r(k, h), r(k, c, h), r(k, c)
    a1, z, g, g1 = r(k, h, BS), r(k, c, BS), r(k, c, BS), r(k, h, BS)
    gw1, gw2 = torch.empty(k, h, d), torch.empty(k, c, h)
    if batched:

        def run():
            torch.baddbmm(b1.unsqueeze(2), w1, x.transpose(1, 2), out=a1)
            torch.baddbmm(b2.unsqueeze(2), w2, a1, out=z)
            torch.bmm(g, a1.transpose(1, 2), out=gw2)
            torch.bmm(w2.transpose(1, 2), g, out=g1)
            torch.bmm(g1, x, out=gw1)

        return run

    def run_each():
        for i in range(k):
            torch.addmm(b1[i].unsqueeze(1), w1[i], x[i].t(), out=a1[i])
            torch.addmm(b2[i].unsqueeze(1), w2[i], a1[i], out=z[i])
            torch.mm(g[i], a1[i].t(), out=gw2[i])
            torch.mm(w2[i].t(), g[i], out=g1[i])
            torch.mm(g1[i], x[i], out=gw1[i])

    return run_each


def per_call(f, n: int) -> float:
    f()
    t0 = time.thread_time()
    for _ in range(n):
        f()
    return (time.thread_time() - t0) / n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--k", type=int, default=9)
    ap.add_argument("--quick", action="store_true", help="fewer steps")
    ap.add_argument("--against", metavar="REV", help="also time the bare step of engine/fused.py at this git revision")
    a = ap.parse_args()
    other = step_maker(a.against) if a.against else None
    torch.set_num_threads(1)
    k, steps = a.k, 60 if a.quick else 200
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(N, DIMS[0], generator=g), torch.randint(DIMS[-1], (N,), generator=g)
    print(f"torch {torch.__version__}, 1 thread, thread CPU, median of {a.reps} rounds, {steps} steps each")
    print(f"load average before: {' '.join(f'{v:.2f}' for v in os.getloadavg())}", flush=True)

    rows: dict[str, list[float]] = {}
    phases: dict[str, list[float]] = {p: [] for p in PHASES}
    for _ in range(a.reps):
        timed = {
            "textbook": lambda: textbook_step(mlp(DIMS, 0), x, y, BS, steps),
            "engine 1": lambda: engine_step([mlp(DIMS, 0)], x, y, BS, steps),
            "engine K": lambda: engine_step([mlp(DIMS, i) for i in range(k)], x, y, BS, steps) / k,
            "bare 1": lambda: bare(1, x, y, steps)[0],
            "gemm K batched": lambda: per_call(step_gemms(k, True), steps) / k,
            "gemm K each": lambda: per_call(step_gemms(k, False), steps) / k,
        }
        if other is not None:
            timed[f"bare 1 {a.against}"] = lambda: bare(1, x, y, steps, other)[0]
            timed[f"bare K {a.against}"] = lambda: bare(k, x, y, steps, other)[0] / k
        for name, f in timed.items():
            rows.setdefault(name, []).append(f())
        t, ph = bare(k, x, y, steps)
        rows.setdefault("bare K", []).append(t / k)
        for p, v in ph.items():
            phases[p].append(v / k)
    med = {n: statistics.median(v) for n, v in rows.items()}
    peak = gemm_peak(512, 784, 512)
    floor_peak = step_flops(DIMS, BS) / peak
    tb = med["textbook"]

    def line(name: str, t: float, note: str = "") -> None:
        print(f"  {name:58} {t * 1e6:7.0f} us  {tb / t:5.2f}x  {note}")

    print(f"\nMLP {'-'.join(map(str, DIMS))}, batch {BS}: us per step per run, textbook / row")
    line("(a) textbook loop", tb)
    line("(b) engine, 1 run, fused step", med["engine 1"])
    line(
        f"(c) engine, {k} stacked, fused step, per run",
        med["engine K"],
        f"{med['engine 1'] / med['engine K']:.2f}x sequential",
    )
    line("    bare fused step, 1 run (no loop)", med["bare 1"])
    line(f"    bare fused step, {k} stacked, per run (no loop)", med["bare K"])
    if other is not None:
        line(f"    bare fused step at {a.against}, 1 run", med[f"bare 1 {a.against}"])
        line(f"    bare fused step at {a.against}, {k} stacked, per run", med[f"bare K {a.against}"])
    for p in PHASES:
        v = statistics.median(phases[p])
        share = v / sum(statistics.median(t) for t in phases.values())
        print(f"      phase: {p:47} {v * 1e6:7.0f} us  ({share:.0%})")
    line(f"(d) GEMMs alone, {k} batched (baddbmm/bmm), per run", med["gemm K batched"])
    line("    GEMMs alone, one member at a time (addmm/mm)", med["gemm K each"])
    line(
        f"    the step's {step_flops(DIMS, BS) / 1e6:.1f} MFLOP at the GEMM peak ({peak / 1e9:.0f} GFLOP/s)", floor_peak
    )
    gemm = med["gemm K batched"]
    print(
        f"\n  the stacked step: {med['bare K'] * 1e6:.0f} us per run, of which its GEMMs {gemm * 1e6:.0f} us "
        f"({gemm / med['bare K']:.0%}); in the loop {med['engine K'] * 1e6:.0f} us"
    )
    print(
        f"  ceiling if all but the GEMMs cost nothing: textbook / GEMMs = {tb / gemm:.2f}x "
        f"(at the GEMM peak: {tb / floor_peak:.2f}x)"
    )
    print(f"load average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    spread = {n: (min(v) * 1e6, max(v) * 1e6) for n, v in rows.items()}
    print("spread (min-max us): " + ", ".join(f"{n} {lo:.0f}-{hi:.0f}" for n, (lo, hi) in spread.items()))


if __name__ == "__main__":
    main()
