"""The training step alone, in one process on one thread: the engine (fused MLP step, stacked
baddbmm) against an independent textbook loop, and a large MLP's step against the fp32 GEMM
peak measured in the same process (issue 29, items 2 and 4).

Times are thread CPU (time.thread_time) per training step, evaluation excluded, the median of
`--reps` repetitions. Ratios compare figures taken in this process a few seconds apart.
bench/bench_stack.py takes the stacked step apart (phases, the GEMM floor).

    python bench/bench_step.py [--threads 1] [--reps 5] [--quick]
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import time

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from overfit_tui.core.specs import ModelSpec, TrainSpec
from overfit_tui.engine.hooks import Hook
from overfit_tui.engine.models import build_model
from overfit_tui.engine.train import Member, train


def textbook_step(model: nn.Module, x, y, bs: int, steps: int) -> float:
    """Seconds per step of the loop tutorials write (DataLoader, zero_grad, backward, step, .item())."""
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    dl = DataLoader(TensorDataset(x, y), batch_size=bs, shuffle=True, drop_last=True)
    n, t0 = 0, None
    while n < steps:
        for xb, yb in dl:
            if n == 5:  # warm-up steps excluded
                t0 = time.thread_time()
            opt.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
            _ = loss.item()
            n += 1
            if n >= steps:
                break
    return (time.thread_time() - t0) / (n - 5)


class StepClock(Hook):
    """Thread CPU between the 5th and the last training step (evaluations fall outside)."""

    def __init__(self, last: int):
        self.last, self.t0, self.t1 = last, 0.0, 0.0

    def after_step(self, loop) -> None:
        if loop.step == 5:
            self.t0 = time.thread_time()
        elif loop.step == self.last:
            self.t1 = time.thread_time()


def engine_step(models: list[nn.Module], x, y, bs: int, steps: int) -> float:
    """Seconds per step of the engine training len(models) runs stacked (one step serves them all)."""
    spec = TrainSpec(
        lr=0.01, lr_decay=1.0, batch_size=bs, epochs=10**6, max_steps=steps, target_train_acc=0.0, log_every=50
    )
    spec = TrainSpec(**{**spec.__dict__, "eval_every": 10**9})
    members = [Member(m, x, y, x[:10], y[:10], order_seed=i) for i, m in enumerate(models)]
    clock = StepClock(steps)
    train(members, spec, clock)
    return (clock.t1 - clock.t0) / (steps - 5)


def gemm_peak(m: int, k: int, n: int, reps: int = 50) -> float:
    """FLOP/s of an fp32 [m, k] @ [k, n] product (the best of a few timings)."""
    a, b, out = torch.randn(m, k), torch.randn(k, n), torch.empty(m, n)
    best = float("inf")
    for _ in range(5):
        torch.mm(a, b, out=out)
        t0 = time.thread_time()
        for _ in range(reps):
            torch.mm(a, b, out=out)
        best = min(best, (time.thread_time() - t0) / reps)
    return 2 * m * k * n / best


def step_flops(dims: list[int], bs: int) -> int:
    """The arithmetic one training step needs: forward, weight gradients, and input gradients of
    every layer but the first (nobody needs the data's gradient)."""
    mm = [2 * bs * a * b for a, b in itertools.pairwise(dims)]
    return 2 * sum(mm) + sum(mm[1:])


def median_of(reps: int, f) -> float:
    """The median of `reps` timings."""
    return statistics.median(f() for _ in range(reps))


def mlp(dims: list[int], seed: int) -> nn.Module:
    spec = ModelSpec(name="mlp", width=dims[1], depth=len(dims) - 2)
    return build_model(spec, (dims[0],), dims[-1], seed)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--quick", action="store_true", help="fewer steps")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    steps = 60 if a.quick else 200
    g = torch.Generator().manual_seed(0)
    print(
        f"torch {torch.__version__}, threads {torch.get_num_threads()}, median of {a.reps}, thread CPU per step, "
        f"load average {os.getloadavg()[0]:.2f}",
        flush=True,
    )

    tiny, bs, k = [40, 512, 10], 128, 9
    x, y = torch.randn(4000, 40, generator=g), torch.randint(10, (4000,), generator=g)
    tb = median_of(a.reps, lambda: textbook_step(mlp(tiny, 0), x, y, bs, steps))
    one = median_of(a.reps, lambda: engine_step([mlp(tiny, 0)], x, y, bs, steps))
    os.environ["OVERFIT_TUI_FUSED"] = "0"
    one_autograd = median_of(a.reps, lambda: engine_step([mlp(tiny, 0)], x, y, bs, steps))
    stack_autograd = median_of(a.reps, lambda: engine_step([mlp(tiny, i) for i in range(k)], x, y, bs, steps)) / k
    del os.environ["OVERFIT_TUI_FUSED"]
    stack = median_of(a.reps, lambda: engine_step([mlp(tiny, i) for i in range(k)], x, y, bs, steps)) / k
    print(f"\nMLP 40-512-10, batch {bs} (us per step per run; speed-up = textbook / engine)")
    rows = [
        ("textbook loop", tb),
        ("engine, 1 run, autograd step (OVERFIT_TUI_FUSED=0)", one_autograd),
        ("engine, 1 run, fused step", one),
        (f"engine, {k} stacked, autograd step, per run", stack_autograd),
        (f"engine, {k} stacked, fused step, per run", stack),
    ]
    for name, t in rows:
        print(f"  {name:52} {t * 1e6:8.0f}  {tb / t:5.2f}x")
    print(f"  stacked vs the engine's own sequential runs: {one / stack:.2f}x")

    big = [784, 512, 512, 10]
    xb, yb = torch.randn(4096, 784, generator=g), torch.randint(10, (4096,), generator=g)
    bs_big = 512
    peak = max(gemm_peak(bs_big, 784, 512), gemm_peak(bs_big, 512, 512))
    t_big = median_of(a.reps, lambda: engine_step([mlp(big, 0)], xb, yb, bs_big, steps // 4 + 6))
    tb_big = median_of(a.reps, lambda: textbook_step(mlp(big, 0), xb, yb, bs_big, steps // 4 + 6))
    fl = step_flops(big, bs_big)
    print(f"\nMLP 784-512-512-10, batch {bs_big}: fp32 GEMM peak {peak / 1e9:.1f} GFLOP/s ({bs_big}x784x512 mm)")
    print(f"  engine step {t_big * 1e3:.2f} ms = {fl / t_big / 1e9:.1f} GFLOP/s = {fl / t_big / peak:.0%} of peak")
    print(f"  textbook step {tb_big * 1e3:.2f} ms = {fl / tb_big / 1e9:.1f} GFLOP/s = {fl / tb_big / peak:.0%} of peak")


if __name__ == "__main__":
    main()
