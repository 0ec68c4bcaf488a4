"""Real tiny CPU trainings: memorization, stacked == separate, NaN -> diverged, cancellation."""

from __future__ import annotations

import torch

from overfit_tui.core.specs import ModelSpec, TrainSpec
from overfit_tui.engine.hooks import Hook
from overfit_tui.engine.models import MODELS, build_model, param_count
from overfit_tui.engine.train import Member, train
from overfit_tui.studies.shared.data import randomize


def _member(ds, model="mlp", width=256, seed=0, n=500):
    m = build_model(ModelSpec(name=model, width=width), ds.input_shape, ds.num_classes, seed)
    return Member(m, ds.x_train[:n], ds.y_train[:n], ds.x_test, ds.y_test, order_seed=seed)


class Recorder(Hook):
    def __init__(self):
        self.events = {}

    def on_event(self, member, event):
        self.events.setdefault(member, []).append(event)


def test_random_labels_are_memorized_to_100_percent(mnist1d):
    ds = randomize(mnist1d, "labels", 1.0, seed=0)
    spec = TrainSpec(lr=0.05, lr_decay=1.0, batch_size=100, epochs=400)
    rec = Recorder()
    (r,) = train([_member(ds)], spec, rec)
    assert r.status == "finished" and r.fit_step is not None
    assert r.final["train_acc"] == 1.0
    assert r.final["test_acc"] < 0.2  # chance is 0.1
    evals = [e for e in rec.events[0] if e.kind == "eval"]
    assert evals[0].step == 0 and evals[-1].train_acc == 1.0


def test_stacked_training_equals_separate_training(mnist1d):
    spec = TrainSpec(lr=0.05, lr_decay=0.9, batch_size=50, epochs=2, target_train_acc=0.0, log_every=5)
    dsets = [randomize(mnist1d, "labels", p, seed=0) for p in (0.0, 1.0)]
    fused = train([_member(d, seed=s) for s, d in enumerate(dsets)], spec)
    alone = [train([_member(d, seed=s)], spec)[0] for s, d in enumerate(dsets)]
    for f, a in zip(fused, alone):
        assert abs(f.final["train_loss"] - a.final["train_loss"]) < 1e-4
        assert f.steps == a.steps == 20


def test_stacked_members_retire_when_fitted(mnist1d):
    spec = TrainSpec(lr=0.05, lr_decay=1.0, batch_size=100, epochs=300)
    dsets = [randomize(mnist1d, "labels", p, seed=0) for p in (0.0, 1.0)]
    r_true, r_rand = train([_member(d, seed=1) for d in dsets], spec)
    assert r_true.fit_step is not None and r_rand.fit_step is not None
    assert r_true.fit_step < r_rand.fit_step  # true labels fit faster
    assert r_true.steps == r_true.fit_step  # it stopped when fitted, while the other went on
    # the survivor trains on exactly as it would alone
    (alone,) = train([_member(dsets[1], seed=1)], spec)
    assert alone.fit_step == r_rand.fit_step and alone.final == r_rand.final


def test_huge_learning_rate_diverges_not_crashes(mnist1d):
    spec = TrainSpec(lr=1e6, momentum=0.9, lr_decay=1.0, batch_size=100, epochs=5, log_every=2)
    (r,) = train([_member(mnist1d)], spec)
    assert r.status == "diverged"


def test_cancellation_stops_at_next_log_step(mnist1d):
    class StopAfter(Recorder):
        def should_stop(self):
            return sum(1 for e in self.events.get(0, []) if e.kind == "step") >= 3

    spec = TrainSpec(epochs=100, log_every=5, batch_size=50)
    rec = StopAfter()
    (r,) = train([_member(mnist1d)], spec, rec)
    assert r.status == "cancelled" and r.steps == 15


def test_every_model_builds_and_runs_forward():
    shapes = {
        "linear": (1, 40),
        "mlp": (1, 40),
        "cnn1d": (1, 40),
        "lenet": (1, 28, 28),
        "lenet_valid": (1, 28, 28),
        "alexnet_small": (3, 28, 28),
        "inception_small": (3, 28, 28),
        "vgg11": (3, 32, 32),
        "lenet_300_100": (1, 28, 28),
        "conv2": (3, 32, 32),
        "conv4": (3, 32, 32),
        "conv6": (3, 32, 32),
    }
    for name in MODELS:
        for bn in (False, True):
            spec = ModelSpec(
                name=name,
                width=16 if name in ("inception_small", "vgg11", "conv2", "conv4", "conv6") else 0,
                batchnorm=bn,
                dropout=0.1,
            )
            m = build_model(spec, shapes[name], 10, seed=0)
            out = m(torch.randn(4, *shapes[name]))
            assert out.shape == (4, 10) and param_count(m) > 0
