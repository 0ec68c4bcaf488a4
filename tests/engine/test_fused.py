"""The fused MLP step (engine/fused.py) and the baddbmm stacked forward (engine/nets.py) equal
autograd and vmap: one step's losses, gradients and updated weights to 1e-6, and whole trainings
(stacked, retiring, with weight decay, under squared loss) to float tolerance."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.func import functional_call, stack_module_state

from overfit_tui.core.specs import ModelSpec, TrainSpec
from overfit_tui.engine.batches import batch_losses, gather_batch
from overfit_tui.engine.fused import FusedMLPStep, fused_step_for, mlp_linears
from overfit_tui.engine.hooks import Hook
from overfit_tui.engine.loop import make_optimizer
from overfit_tui.engine.models import build_model
from overfit_tui.engine.nets import SingleNet, StackedNet
from overfit_tui.engine.train import Member, train


def _data(k, n=96, d=(1, 6, 5), seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(k, n, *d, generator=g), torch.randint(10, (k, n), generator=g)


def _mlp(depth, seed, d=30, width=24):
    return build_model(ModelSpec(name="mlp", width=width, depth=depth), (1, 6, 5), 10, seed)


def test_mlp_linears_accepts_plain_mlps_only():
    assert len(mlp_linears(_mlp(2, 0))) == 3
    assert len(mlp_linears(build_model(ModelSpec(name="linear"), (1, 6, 5), 10, 0))) == 1
    assert mlp_linears(build_model(ModelSpec(name="mlp", dropout=0.1), (40,), 10, 0)) is None
    assert mlp_linears(build_model(ModelSpec(name="mlp", batchnorm=True), (40,), 10, 0)) is None
    assert mlp_linears(nn.Sequential(nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 2))) is None  # no Flatten
    assert mlp_linears(build_model(ModelSpec(name="lenet"), (1, 28, 28), 10, 0)) is None
    hooked = _mlp(1, 0)
    hooked[1].register_forward_hook(lambda m, i, o: o * 2)
    assert mlp_linears(hooked) is None


@pytest.mark.parametrize("k", [1, 3])
@pytest.mark.parametrize("loss", ["ce", "mse"])
@pytest.mark.parametrize("wd", [0.0, 5e-3])
def test_one_fused_step_equals_the_autograd_step(k, loss, wd):
    spec = TrainSpec(lr=0.05, momentum=0.9, weight_decay=wd, loss=loss)
    xtr, ytr = _data(k)
    idx = torch.stack([torch.randperm(96, generator=torch.Generator().manual_seed(r))[:32] for r in range(k)])

    def nets():
        ms = [_mlp(2, s) for s in range(k)]
        return SingleNet(ms[0]) if k == 1 else StackedNet(ms)

    ref, fus = nets(), nets()
    ropt, fopt = make_optimizer(ref.params(), spec), make_optimizer(fus.params(), spec)
    step = fused_step_for(fus, loss)
    rows = torch.arange(k).unsqueeze(1)
    for _ in range(3):  # the third step uses momentum buffers both ways
        xb, yb = gather_batch(xtr, ytr, rows, idx)
        ref_losses = batch_losses(ref.forward(xb), yb, loss)
        ropt.zero_grad()
        ref_losses.sum().backward()
        ref_grads = [p.grad.clone() for p in ref.params()]
        with torch.no_grad():
            losses, grads = step.forward_backward(xtr, ytr, idx)
            grads = {id(p): g.view(p.shape).clone() for p, g in zip(step.params, grads)}
        assert torch.allclose(losses, ref_losses.detach(), atol=1e-6, rtol=0)
        for p, rg in zip(fus.params(), ref_grads):
            assert torch.allclose(grads[id(p)], rg, atol=1e-6, rtol=0)
        ropt.step()
        step.step(xtr, ytr, idx, fopt)
        for pf, pr in zip(fus.params(), ref.params()):
            assert torch.allclose(pf, pr, atol=1e-6, rtol=0)
    assert all(
        torch.allclose(fopt.state[p]["momentum_buffer"], ropt.state[q]["momentum_buffer"], atol=1e-6)
        for p, q in zip(fus.params(), ref.params())
    )


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_fused_updates_follow_the_optimizer_state_it_is_given(momentum):
    """The list-op update (one _foreach call per operation) equals torch's SGD step to 1e-6, with
    and without momentum, and follows momentum buffers a loaded checkpoint put in place."""
    k, loss = 3, "ce"
    spec = TrainSpec(lr=0.05, momentum=momentum, weight_decay=1e-3, loss=loss)
    xtr, ytr = _data(k)
    ref, fus = StackedNet([_mlp(1, s) for s in range(k)]), StackedNet([_mlp(1, s) for s in range(k)])
    ropt, fopt = make_optimizer(ref.params(), spec), make_optimizer(fus.params(), spec)
    step, rows = fused_step_for(fus, loss), torch.arange(k).unsqueeze(1)

    def both(seed: int) -> None:
        g = torch.Generator().manual_seed(seed)
        idx = torch.stack([torch.randperm(96, generator=g)[:32] for _ in range(k)])
        xb, yb = gather_batch(xtr, ytr, rows, idx)
        ropt.zero_grad()
        batch_losses(ref.forward(xb), yb, loss).sum().backward()
        ropt.step()
        step.step(xtr, ytr, idx, fopt)
        for pf, pr in zip(fus.params(), ref.params()):
            assert torch.allclose(pf, pr, atol=1e-6, rtol=0)

    for seed in range(3):
        both(seed)
    if momentum:  # a checkpoint loaded mid-training: new buffer tensors, scaled so a stale view would show
        for opt in (ropt, fopt):
            sd = opt.state_dict()
            for st in sd["state"].values():
                st["momentum_buffer"] = st["momentum_buffer"] * 3.0
            opt.load_state_dict(sd)
        assert all(fopt.state[p]["momentum_buffer"] is not m for p, m in zip(step.params, step._mom_of))
    for seed in range(3, 6):
        both(seed)


def test_stacked_mlp_forward_equals_vmap():
    ms = [_mlp(2, s) for s in range(4)]
    net = StackedNet(ms)
    assert net.linears == ["1", "3", "5"]
    x, _ = _data(4)
    base = ms[0].to("meta")
    p, b = stack_module_state([_mlp(2, s) for s in range(4)])
    ref = torch.vmap(lambda p, b, x: functional_call(base, (p, b), (x,)))(p, b, x)
    assert torch.allclose(net.forward(x), ref, atol=1e-6)


@pytest.mark.parametrize("loss,wd,k", [("ce", 0.0, 1), ("ce", 1e-3, 3), ("mse", 0.0, 2)])
def test_fused_training_equals_autograd_training(mnist1d, monkeypatch, loss, wd, k):
    spec = TrainSpec(
        lr=0.05, lr_decay=0.9, batch_size=64, epochs=3, target_train_acc=0.0, log_every=7, loss=loss, weight_decay=wd
    )

    seen = []

    class Spy(Hook):
        def on_start(self, loop):
            seen.append(loop.fuse_step)

    def run():
        ms = [
            Member(
                build_model(ModelSpec(name="mlp", width=64), (40,), 10, s),
                mnist1d.x_train[:300],
                mnist1d.y_train[:300],
                mnist1d.x_test,
                mnist1d.y_test,
                order_seed=s,
            )
            for s in range(k)
        ]
        return train(ms, spec, Spy())

    fused = run()
    monkeypatch.setenv("OVERFIT_TUI_FUSED", "0")
    plain = run()
    assert seen == [True, False]
    for f, a in zip(fused, plain):
        assert f.steps == a.steps == 15  # 300 / 64 -> 5 steps an epoch, the last one short
        for key in ("train_loss", "test_loss", "train_acc", "test_acc"):
            assert abs(f.final[key] - a.final[key]) < 1e-4, key


def test_fused_stack_retires_members_as_autograd_does(mnist1d, monkeypatch):
    from overfit_tui.studies.shared.data import randomize

    spec = TrainSpec(lr=0.05, lr_decay=1.0, batch_size=100, epochs=200)
    dsets = [randomize(mnist1d, "labels", p, seed=0) for p in (0.0, 1.0)]

    def run():
        ms = [
            Member(
                build_model(ModelSpec(name="mlp", width=128), (40,), 10, 1),
                d.x_train[:400],
                d.y_train[:400],
                d.x_test,
                d.y_test,
                order_seed=1,
            )
            for d in dsets
        ]
        return train(ms, spec)

    fused = run()
    monkeypatch.setenv("OVERFIT_TUI_FUSED", "0")
    plain = run()
    assert fused[0].fit_step is not None and fused[0].fit_step < fused[1].steps  # one retired, the other went on
    for f, a in zip(fused, plain):
        assert f.fit_step == a.fit_step and f.status == a.status
        assert abs(f.final["test_loss"] - a.final["test_loss"]) < 1e-3


def test_fused_step_allocates_its_buffers_once():
    net = StackedNet([_mlp(1, s) for s in range(2)])
    step = fused_step_for(net, "ce")
    assert isinstance(step, FusedMLPStep)
    xtr, ytr = _data(2)
    opt = make_optimizer(net.params(), TrainSpec())
    idx = torch.arange(64).view(2, 32)
    step.step(xtr, ytr, idx, opt)
    bufs = step._bufs[32]
    ptrs = [t.data_ptr() for t in [bufs[0], *bufs[1], *bufs[2]]]  # the batch, activations, their gradients
    step.step(xtr, ytr, idx, opt)
    assert step._bufs[32] is bufs and [t.data_ptr() for t in [bufs[0], *bufs[1], *bufs[2]]] == ptrs


def test_phase_clock_reports_every_phase_of_a_step():
    """bench/bench_stack.py's breakdown: the step calls its clock with each phase as it ends,
    every phase of PHASES at least once, and nothing else."""
    net = StackedNet([_mlp(2, s) for s in range(2)])
    step = fused_step_for(net, "ce")
    xtr, ytr = _data(2)
    opt = make_optimizer(net.params(), TrainSpec())
    seen: list[str] = []
    step.clock = seen.append
    step.step(xtr, ytr, torch.arange(64).view(2, 32), opt)
    assert set(seen) == set(FusedMLPStep.PHASES)
    assert seen[0] == "gather" and seen[-1] == "update"
    assert seen.count("relu") == 2 and seen.count("relu gradient") == 2  # two hidden layers
