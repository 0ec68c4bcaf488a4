"""CUDA: on a lent GPU, CUDA-graph steps equal eager steps; on any machine, the logic of every
CUDA-specific branch (graphs on or off, the fused CPU step kept off the GPU, evaluation chunks,
fused optimizers, pinned memory, device strings) with device objects and stubs."""

from __future__ import annotations

import pytest
import torch

from overfit_tui.core.specs import ModelSpec, TrainSpec
from overfit_tui.engine.models import build_model
from overfit_tui.engine.train import Member, train

needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


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


@needs_cuda
@pytest.mark.parametrize("k", [1, 3])
def test_graphed_steps_match_eager(mnist1d, monkeypatch, k):
    eager = _run(mnist1d, monkeypatch, graphs=False, k=k)
    graphed = _run(mnist1d, monkeypatch, graphs=True, k=k)
    for e, g in zip(eager, graphed):
        assert e.steps == g.steps
        assert abs(e.final["train_loss"] - g.final["train_loss"]) < 1e-4
        assert abs(e.final["test_acc"] - g.final["test_acc"]) < 2e-3


# -- the CUDA branches' logic, on any machine (no GPU needed: device objects and stubs) ----------


class TestCudaBranchesOnCpu:
    """Every decision the engine takes for a CUDA device, checked without one so it cannot rot."""

    def test_cuda_graphs_only_for_sgd_without_augmentation_and_not_when_turned_off(self, monkeypatch):
        from overfit_tui.engine.graphs import use_cuda_graphs

        gpu, cpu, sgd = torch.device("cuda:0"), torch.device("cpu"), TrainSpec()
        monkeypatch.delenv("OVERFIT_TUI_CUDA_GRAPHS", raising=False)
        assert use_cuda_graphs(gpu, sgd, augment=False)
        assert not use_cuda_graphs(cpu, sgd, augment=False)
        assert not use_cuda_graphs(gpu, TrainSpec(optimizer="adam"), augment=False)
        assert not use_cuda_graphs(gpu, sgd, augment=True)  # random ops cannot be captured
        monkeypatch.setenv("OVERFIT_TUI_CUDA_GRAPHS", "0")
        assert not use_cuda_graphs(gpu, sgd, augment=False)

    def test_the_fused_cpu_step_stays_off_the_gpu(self, monkeypatch):
        from overfit_tui.engine.fused import mlp_linears, use_fused

        layers = mlp_linears(build_model(ModelSpec(name="mlp", width=8), (40,), 10, 0))
        monkeypatch.delenv("OVERFIT_TUI_FUSED", raising=False)
        assert use_fused(torch.device("cpu"), TrainSpec(), False, layers)
        assert not use_fused(torch.device("cuda:0"), TrainSpec(), False, layers)  # the captured graph does it
        assert not use_fused(torch.device("cpu"), TrainSpec(optimizer="adam"), False, layers)
        assert not use_fused(torch.device("cpu"), TrainSpec(), True, layers)
        assert not use_fused(torch.device("cpu"), TrainSpec(), False, None)
        monkeypatch.setenv("OVERFIT_TUI_FUSED", "0")
        assert not use_fused(torch.device("cpu"), TrainSpec(), False, layers)

    def test_eval_chunks_and_fused_optimizers_by_device(self):
        from overfit_tui.engine.loop import CPU_EVAL_CHUNK, EVAL_CHUNK, eval_chunk, eval_chunk_for, optimizer_flags

        assert eval_chunk_for(torch.device("cuda:1")) == EVAL_CHUNK == 4096
        assert eval_chunk_for(torch.device("cpu")) == CPU_EVAL_CHUNK == 512
        assert eval_chunk(torch.zeros(2, 3)) == CPU_EVAL_CHUNK
        assert optimizer_flags(torch.device("cuda:0")) == {"fused": True}
        assert optimizer_flags(torch.device("cpu")) == {}

    def test_pinned_memory_only_for_a_gpu_and_no_copy_on_the_cpu(self):
        from overfit_tui.engine.device import pinned, to_device

        assert pinned("cuda:0") and pinned(torch.device("cuda")) and not pinned("cpu")
        t = torch.arange(5)
        assert to_device(t, "cpu") is t  # already there: no copy per epoch
        assert to_device(t, torch.device("cpu")) is t

    def test_device_strings_and_names(self, monkeypatch):
        from overfit_tui.engine import device
        from overfit_tui.runs import queue
        from overfit_tui.runs.launcher import default_devices

        monkeypatch.setattr(queue, "gpu_count", lambda: 2)  # the driver reports GPUs: torch is asked
        monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
        monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
        asked = []
        monkeypatch.setattr(torch.cuda, "get_device_name", lambda d: asked.append(d) or "Fake GPU")
        assert device.cuda_devices() == ["cuda:0", "cuda:1"]
        assert default_devices() == ["cuda:0", "cuda:1"]  # a launch without --device takes every GPU
        assert device.device_name("cuda:1") == "Fake GPU" and asked == [torch.device("cuda:1")]
        monkeypatch.setattr(torch.cuda, "is_available", lambda: False)  # e.g. a CPU-only torch build
        assert device.cuda_devices() == [] and default_devices() == ["cpu"]
        assert device.device_name("cpu")  # the processor's name, never empty

    def test_no_gpu_from_the_driver_asks_torch_nothing(self, monkeypatch):
        """A CPU box: the driver reports no GPU, so a launch finds its devices without torch."""
        from overfit_tui.runs import queue
        from overfit_tui.runs.launcher import default_devices

        def asked():
            raise AssertionError("torch was asked")

        monkeypatch.setattr(queue, "gpu_count", lambda: 0)
        monkeypatch.setattr(torch.cuda, "is_available", asked)
        monkeypatch.setattr(torch.cuda, "device_count", asked)
        assert default_devices() == ["cpu"] and queue.pool_devices() == ["cpu"]
