"""Loop hooks reach the model: a mask hook on a stacked job keeps pruned weights at exactly zero
(momentum included), checkpoints and rewinds round-trip, survivors of a stacked job train
exactly as alone, and a CPU run repeated gives identical curves (dropout and augmentation seeded)."""

from __future__ import annotations

import torch

from overfit_tui.core.specs import ModelSpec, TrainSpec
from overfit_tui.engine.hooks import Hook, Hooks
from overfit_tui.engine.models import build_model
from overfit_tui.engine.train import Member, train
from overfit_tui.studies.shared.data import randomize


def _member(ds, seed=0, n=400, **model):
    spec = ModelSpec(**{"name": "mlp", "width": 64, **model})
    m = build_model(spec, ds.input_shape, ds.num_classes, seed)
    return Member(m, ds.x_train[:n], ds.y_train[:n], ds.x_test[:200], ds.y_test[:200], order_seed=seed)


class Recorder(Hook):
    def __init__(self):
        self.events: dict[int, list] = {}

    def on_event(self, run, event):
        self.events.setdefault(run, []).append(event)


class Mask(Hook):
    """Prunes half of the first layer's weights of every member, re-zeroed after each step."""

    def __init__(self):
        self.masks: dict[int, torch.Tensor] = {}
        self.checked = 0

    def on_start(self, loop):
        for run in loop.runs:
            w = loop.params(run)["1.weight"]
            g = torch.Generator().manual_seed(run)
            self.masks[run] = (torch.rand(w.shape, generator=g) < 0.5).to(w.dtype)
            with torch.no_grad():
                w.mul_(self.masks[run])

    def after_step(self, loop):
        for run in loop.runs:
            with torch.no_grad():
                loop.params(run)["1.weight"].mul_(self.masks[run])

    def on_epoch_end(self, loop):
        for run in loop.runs:
            w = loop.params(run)["1.weight"]
            assert torch.all(w[self.masks[run] == 0] == 0)
            self.checked += 1


def test_mask_hook_keeps_pruned_weights_zero_on_a_stacked_job(mnist1d):
    spec = TrainSpec(lr=0.05, momentum=0.9, lr_decay=1.0, batch_size=50, epochs=3, target_train_acc=0.0)
    mask = Mask()
    members = [_member(mnist1d, seed=s) for s in (0, 1, 2)]
    results = train(members, spec, Hooks(mask), keep_state=True)
    assert mask.checked == 9  # 3 members x 3 epochs, each checked exactly zero
    for run, r in enumerate(results):
        w = r.state["1.weight"]
        assert torch.all(w[mask.masks[run] == 0] == 0)
        assert (w[mask.masks[run] == 1] != 0).float().mean() > 0.99  # the survivors trained


def test_rewind_to_the_epoch_0_checkpoint_restores_exactly(mnist1d):
    class Rewind(Hook):
        def on_start(self, loop):
            self.theta0 = {run: loop.state(run) for run in loop.runs}

        def on_epoch_end(self, loop):
            if loop.epoch == 2:
                for run in loop.runs:
                    loop.load_state(run, self.theta0[run])
                    now = loop.state(run)
                    assert all(torch.equal(now[k], self.theta0[run][k]) for k in now)
                    self.rewound = True

    hook = Rewind()
    spec = TrainSpec(lr=0.05, lr_decay=1.0, batch_size=100, epochs=2, target_train_acc=0.0)
    (r,) = train([_member(mnist1d)], spec, hook, keep_state=True)
    assert hook.rewound
    assert all(torch.equal(r.state[k], hook.theta0[0][k]) for k in r.state)


def test_a_survivor_trains_exactly_as_alone(mnist1d):
    """Member 0 is cancelled mid-epoch; member 1 goes on with its permutation, epoch position and lr decay."""

    class CancelFirst(Recorder):
        def member_cancelled(self, run):
            return run == 0 and sum(e.kind == "step" for e in self.events.get(0, [])) >= 3

    spec = TrainSpec(lr=0.05, lr_decay=0.8, batch_size=50, epochs=4, target_train_acc=0.0, log_every=5)
    dsets = [randomize(mnist1d, "labels", p, seed=0) for p in (0.0, 1.0)]
    rec = CancelFirst()
    first, survivor = train([_member(d, seed=s) for s, d in enumerate(dsets)], spec, rec)
    assert first.status == "cancelled" and first.steps == 15  # mid-epoch (8 steps per epoch)
    alone_rec = Recorder()
    (alone,) = train([_member(dsets[1], seed=1)], spec, alone_rec)
    assert survivor.steps == alone.steps == 32
    stacked_curve = [e.train_loss for e in rec.events[1] if e.kind == "step"]
    alone_curve = [e.train_loss for e in alone_rec.events[0] if e.kind == "step"]
    assert stacked_curve == alone_curve and len(alone_curve) == 7  # equal, not close (CPU)
    assert survivor.final == alone.final
    lrs = [e.lr for e in rec.events[1] if e.kind == "eval"]
    assert lrs == [e.lr for e in alone_rec.events[0] if e.kind == "eval"]  # the decay was not skipped


def test_a_cpu_run_repeats_bit_for_bit_with_dropout_and_augmentation(mnist1d):
    spec = TrainSpec(lr=0.05, lr_decay=1.0, batch_size=50, epochs=2, target_train_acc=0.0, log_every=2)

    def once():
        rec = Recorder()
        torch.manual_seed(12345)  # whatever the global state was, the run seeds its own draws
        train([_member(mnist1d, dropout=0.3)], spec, rec, augment=True)
        return [(e.kind, e.step, getattr(e, "train_loss", None), getattr(e, "test_acc", None)) for e in rec.events[0]]

    a = once()
    torch.rand(7)  # disturb the global generator between the two runs
    b = once()
    assert a == b and len(a) > 10


def test_different_order_seeds_give_different_curves(mnist1d):
    spec = TrainSpec(lr=0.05, lr_decay=1.0, batch_size=50, epochs=1, target_train_acc=0.0, log_every=2)
    curves = []
    for order in (0, 1):
        rec = Recorder()
        m = _member(mnist1d)
        m.order_seed = order
        train([m], spec, rec)
        curves.append([e.train_loss for e in rec.events[0] if e.kind == "step"])
    assert curves[0] != curves[1]
