"""Engine vs a textbook PyTorch loop, in one process: samples/s and their ratio.

Textbook: TensorDataset + DataLoader(shuffle), per-step `.item()`, per-epoch evaluation
through DataLoaders. Engine: the whole data set on the device, index-slice batches, one
host sync per log interval, batched evaluation, the fused MLP step on CPU; and K same-shaped runs
stacked (baddbmm for MLPs, vmap otherwise).
Both train the same model for the same epochs and evaluate train+test every epoch.

    python bench/bench_engine.py [--threads 1] [--device cpu|cuda] [--quick]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from overfit_tui.core.specs import DataSpec, ModelSpec, TrainSpec
from overfit_tui.engine.data import prepare
from overfit_tui.engine.models import build_model
from overfit_tui.engine.train import Member, train
from overfit_tui.studies.shared.data import randomize

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def textbook(model: nn.Module, ds, epochs: int, bs: int, lr: float, device: str) -> float:
    """The loop most tutorials write. Returns samples/s of training (evaluation time included)."""
    model = model.to(device)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    train_dl = DataLoader(TensorDataset(ds.x_train, ds.y_train), batch_size=bs, shuffle=True)
    evals = [
        DataLoader(TensorDataset(x, y), batch_size=1000) for x, y in ((ds.x_train, ds.y_train), (ds.x_test, ds.y_test))
    ]
    seen, t0 = 0, time.perf_counter()
    for _ in range(epochs):
        model.train()
        for xb, yb in train_dl:
            xb, yb = xb.to(device), yb.to(device)
            opt.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
            _ = loss.item()  # logging, as tutorials do
            seen += len(xb)
        model.eval()
        with torch.no_grad():
            for dl in evals:
                correct = 0
                for xb, yb in dl:
                    xb, yb = xb.to(device), yb.to(device)
                    correct += (model(xb).argmax(1) == yb).sum().item()
    return seen / (time.perf_counter() - t0)


def engine(models: list[nn.Module], dsets, epochs: int, bs: int, lr: float, device: str) -> float:
    """Training samples/s of all runs together (stacked when several models): K runs that
    take the time of one count K times, i.e. the per-run cost of a sweep."""
    spec = TrainSpec(lr=lr, lr_decay=1.0, batch_size=bs, epochs=epochs, target_train_acc=0.0, log_every=50)
    members = []
    for m, d in zip(models, dsets):
        d = d.to(device)
        members.append(Member(m.to(device), d.x_train, d.y_train, d.x_test, d.y_test, order_seed=0))
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    res = train(members, spec)
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    return sum(r.steps for r in res) * bs / (time.perf_counter() - t0)


def case(name, spec, ds, epochs, bs, device, k, rows):
    lr = 0.01
    tb = textbook(build_model(spec, ds.input_shape, 10, 0), ds, epochs, bs, lr, device)
    one = engine([build_model(spec, ds.input_shape, 10, 0)], [ds], epochs, bs, lr, device)
    rows.append((name, device, "textbook loop", tb, 1.0))
    rows.append((name, device, "engine, 1 run", one, one / tb))
    if k > 1:
        dsets = [randomize(ds, "labels", p, seed=i) for i, p in enumerate(torch.linspace(0, 1, k).tolist())]
        many = engine([build_model(spec, ds.input_shape, 10, i) for i in range(k)], dsets, epochs, bs, lr, device)
        rows.append((name, device, f"engine, {k} runs stacked (all runs)", many, many / tb))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=1, help="torch threads (1: what a 2-core worker gets)")
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--quick", action="store_true", help="fewer epochs")
    ap.add_argument("--cache", default=os.environ.get("OVERFIT_TUI_DATA", "/tmp/overfit-tui-bench"))
    ap.add_argument("--data-dir", default=str(SHARED), help="where MNIST/raw is (default: ../shared/data)")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    cache = Path(a.cache)
    cache.mkdir(parents=True, exist_ok=True)
    m1d = prepare(DataSpec(name="mnist1d"), cache, cache)
    if (Path(a.data_dir) / "MNIST" / "raw").exists():
        mnist = prepare(DataSpec(name="mnist"), Path(a.data_dir), cache)
        mnist_name = "MNIST 4k subset"
    else:  # same shapes, synthetic values
        g = torch.Generator().manual_seed(0)
        from overfit_tui.engine.data import Dataset

        mnist = Dataset(
            "mnist-shaped",
            torch.randn(4000, 1, 28, 28, generator=g),
            torch.randint(10, (4000,), generator=g),
            torch.randn(1000, 1, 28, 28, generator=g),
            torch.randint(10, (1000,), generator=g),
            10,
        )
        mnist_name = "MNIST-shaped random"
    e = 3 if a.quick else 10
    rows: list = []
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, device {a.device}", flush=True)
    case(
        "MNIST-1D MLP 40-100-100-10, batch 128",
        ModelSpec(name="mlp", width=100, depth=2),
        m1d,
        e * 2,
        128,
        "cpu",
        12,
        rows,
    )
    case(
        f"{mnist_name} MLP 784-512-10, batch 128",
        ModelSpec(name="mlp", width=512, depth=1),
        mnist,
        e,
        128,
        "cpu",
        4,
        rows,
    )
    if a.device.startswith("cuda"):
        case(
            f"{mnist_name} MLP 784-512-10, batch 128",
            ModelSpec(name="mlp", width=512, depth=1),
            mnist,
            e,
            128,
            a.device,
            12,
            rows,
        )
        case(
            "MNIST-1D MLP 40-100-100-10, batch 128",
            ModelSpec(name="mlp", width=100, depth=2),
            m1d,
            e * 2,
            128,
            a.device,
            12,
            rows,
        )
    w = max(len(r[0]) for r in rows)
    print(f"{'workload':{w}}  {'device':6}  {'loop':34} {'samples/s':>11}  {'vs textbook':>11}")
    for name, dev, loop, sps, ratio in rows:
        print(f"{name:{w}}  {dev:6}  {loop:34} {sps:11,.0f}  {ratio:10.2f}x")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
