"""GPU-only checks (skipped on CPU, run on a lent GPU): CUDA-graph steps equal eager steps."""

from __future__ import annotations

import pytest
import torch

from overfit_tui.core.specs import ModelSpec, TrainSpec
from overfit_tui.engine.models import build_model
from overfit_tui.engine.train import Member, train

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


def _run(ds, monkeypatch, graphs: bool, k: int = 1, decay: float = 0.9):
    monkeypatch.setenv("OVERFIT_TUI_CUDA_GRAPHS", "1" if graphs else "0")
    d = ds.to("cuda")
    members = [
        Member(
            build_model(ModelSpec(name="mlp", width=64), ds.input_shape, 10, s).cuda(),
            d.x_train,
            d.y_train,
            d.x_test,
            d.y_test,
            s,
        )
        for s in range(k)
    ]
    spec = TrainSpec(lr=0.05, lr_decay=decay, batch_size=128, epochs=3, target_train_acc=0.0, log_every=5)
    return train(members, spec)


@pytest.mark.parametrize("k", [1, 3])
def test_graphed_steps_match_eager(mnist1d, monkeypatch, k):
    eager = _run(mnist1d, monkeypatch, graphs=False, k=k)
    graphed = _run(mnist1d, monkeypatch, graphs=True, k=k)
    for e, g in zip(eager, graphed):
        assert e.steps == g.steps
        assert abs(e.final["train_loss"] - g.final["train_loss"]) < 1e-4
        assert abs(e.final["test_acc"] - g.final["test_acc"]) < 2e-3
