"""Layer-robustness evaluations: all one-layer variants of a model (every checkpoint and
re-randomization draw of every layer) on whole train and test sets, three ways:

  stacked   the study's way: a layer's variants stacked, one vmapped pass per chunk
  loop      one large-batch forward per variant (whole set at once)
  loader    the naive way: a minibatch loop (128) per cell, like a DataLoader pass per cell

Run: PYTHONPATH=src python bench/bench_layer_robustness.py [--models mlp,cnn1d] [--n 5000]
Prints wall and CPU seconds per model and method (CPU time is the fairer figure on a shared
machine); the errors of the three must agree.
"""

from __future__ import annotations

import argparse
import time

import torch

from overfit_tui.core.specs import ModelSpec
from overfit_tui.engine.models import build_model
from overfit_tui.studies.layer_robustness.surgery import VariantEvaluator, find_layers, replace_layer

SPECS = {
    "mlp": (ModelSpec(name="mlp", width=256, depth=3), (1, 40)),
    "cnn1d": (ModelSpec(name="cnn1d"), (1, 40)),
    "mlp-mnist": (ModelSpec(name="mlp", width=256, depth=3), (1, 28, 28)),
    "vgg11": (ModelSpec(name="vgg11", width=16, batchnorm=True), (3, 32, 32)),
}


def _sources(spec, shape, k):
    return [build_model(spec, shape, 10, 100 + s).state_dict() for s in range(k)]


def bench(name: str, n: int, variants: int, device: str) -> None:
    spec, shape = SPECS[name]
    model = build_model(spec, shape, 10, 0).to(device)
    final = {k: v.clone() for k, v in model.state_dict().items()}
    g = torch.Generator().manual_seed(0)
    x = torch.randn(n, *shape, generator=g).to(device)
    y = torch.randint(0, 10, (n,), generator=g).to(device)
    data = (x, y, x[: n // 4], y[: n // 4])
    sources, layers = _sources(spec, shape, variants), find_layers(model)
    sync = torch.cuda.synchronize if device.startswith("cuda") else (lambda: None)
    results = {}
    ev = VariantEvaluator(model, final, data)
    for method in ("stacked", "loop", "loader"):
        sync()
        t, c = time.perf_counter(), time.process_time()
        errs = []
        for layer in layers:
            vs = [replace_layer(layer, s, True) for s in sources]
            if method == "stacked":
                errs += ev.errors(vs)
            else:
                errs += [_one(model, {**final, **v}, data, n if method == "loop" else 128) for v in vs]
        sync()
        results[method] = (time.perf_counter() - t, time.process_time() - c, errs)
    cells = len(layers) * variants
    ref = results["stacked"][2]
    line = ", ".join(f"{m} {w:.2f} s wall / {c:.2f} s CPU" for m, (w, c, _) in results.items())
    agree = all(max(abs(a[1] - b[1]) for a, b in zip(ref, e)) < 1e-3 for _, _, e in results.values())
    print(f"{name:10s} {cells} cells x {n + n // 4} samples on {device}: {line}  (agree: {agree})")


@torch.no_grad()
def _one(model, state, data, batch):
    m = model
    m.load_state_dict(state)
    m.eval()
    out = []
    for x, y in (data[:2], data[2:]):
        wrong = sum(int((m(x[i : i + batch]).argmax(-1) != y[i : i + batch]).sum()) for i in range(0, len(x), batch))
        out.append(wrong / len(x))
    return tuple(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", default="mlp,cnn1d,mlp-mnist")
    ap.add_argument("--n", type=int, default=4000, help="training samples (test: n / 4)")
    ap.add_argument("--variants", type=int, default=12, help="variants per layer (checkpoints + draws)")
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    a = ap.parse_args()
    for name in a.models.split(","):
        bench(name, a.n, a.variants, a.device)


if __name__ == "__main__":
    main()
