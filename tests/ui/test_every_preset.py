"""Every shipped CPU preset launched from the app (shrunk through its own form), every chart
key pressed on every pane of the empty store, and every pane drawn from partial and finished
runs, live (the keys on recorded groups: test_chart_keys.py). Any exception, in a handler or
while a chart renders, fails."""

from __future__ import annotations

import asyncio

import pytest

from overfit_tui.core.presets import list_presets
from overfit_tui.core.status import Status
from overfit_tui.ui.app import make_app
from overfit_tui.ui.study_pane import needs_gpu

from .chart_keys import SHORT, each_pane
from .polling import until

# form field -> value typed into it: seconds of real training per preset, every figure still drawn
SHRINK = {
    "smoke-mnist1d": {"data.n_train": "200", "train.epochs": "4", "params.corruption": "[0.0, 1.0]"},
    "randomization-mnist1d": {
        "data.n_train": "200",
        "train.epochs": "2",
        "params.corruption": "[0.0, 1.0]",
        "params.inputs": "[]",
    },
    "regularization-mnist1d": {
        "data.n_train": "200",
        "train.epochs": "2",
        "params.augment": "[false]",
        "params.weight_decay": "[0.0]",
    },
    "expressivity-mnist1d": {"params.n": "100", "params.targets": '["true", "reals"]', "params.train_steps": "20"},
    "kernel-mnist1d": {"data.n_train": "300", "params.kernels": '["gaussian"]'},
    "double-descent-rff-mnist1d": {"data.n_train": "200", "params.features": "[50, 200, 400]"},
    "layer-robustness-mnist1d": {
        "data.n_train": "200",
        "train.epochs": "2",
        "params.checkpoints": "[0, 1]",
        "params.draws": "1",
    },
    "lottery-mnist1d": {
        "data.n_train": "600",
        "train.max_steps": "40",
        "params.rounds": "2",
        "params.val_size": "100",
        "params.val_every": "20",
        "params.controls": '["reinit"]',
    },
    "memorization-mnist1d": {
        "data.n_train": "200",
        "train.epochs": "2",
        "params.kinds": '["randY"]',
        "params.levels": "[0.0, 1.0]",
        "params.dropout": "[0.5]",
        "params.weight_decay": "[]",
        "params.inits": "2",  # Fig. 1's first-epoch nets: 2 initializations, not the preset's 20
    },
    "mdl-mnist1d": {
        "data.n_train": "300",
        "train.epochs": "1",
        "params.corruption": "[0.0]",
        "params.first_fraction": "0.1",
        "params.min_steps": "5",
        "params.eval_steps": "5",
    },
    "batchnorm-mnist1d": {
        "data.n_train": "256",
        "train.epochs": "2",
        "params.norms": '["bn"]',
        "params.lrs": "[0.1]",
        "params.probe_every": "2",
        "params.n_eta": "3",
    },
    "intrinsic-dimension-mnist1d": {
        "data.n_train": "300",
        "train.epochs": "1",
        "params.dims": "[10, 100]",
        "params.refine": "0",
        "params.variants": '["true"]',
    },
    "intrinsic-dimension-labels-mnist1d": {
        "data.n_train": "300",
        "train.epochs": "1",
        "params.dims": "[10, 100]",
        "params.refine": "0",
        "params.variants": '["shuffled_labels"]',
        "params.labels_epochs": "1",
    },
    "intrinsic-dimension-widths-mnist1d": {
        "data.n_train": "300",
        "train.epochs": "1",
        "params.dims": "[10, 100]",
        "params.refine": "0",
    },
    "double-descent-nn-mnist1d": {"data.n_train": "200", "train.epochs": "3", "params.widths": "[4, 64, 128]"},
    "double-descent-nn-mnist1d-noisy": {"data.n_train": "200", "train.epochs": "3", "params.widths": "[4, 64, 128]"},
    "overparam-xor": {"train.epochs": "200", "params.ks": "[2, 10]"},
    "overparam-du": {"data.n_train": "20", "train.epochs": "30", "params.widths": "[20, 200]"},
    "connectivity-mnist1d": {
        "data.n_train": "200",
        "train.epochs": "2",
        "params.widths": "[4, 64]",
        "params.n_points": "5",
    },
    "complexity-mnist1d": {
        "train.epochs": "2",
        "params.n_train": "[200]",
        "params.widths": "[16]",
        "params.corruption": "[0.0]",
        "params.sharp_draws": "1",
    },
}
ENDED = (Status.FINISHED, Status.FAILED, Status.DIVERGED, Status.CANCELLED, Status.LOST)


def cpu_presets() -> list[str]:
    """The CPU presets on generated data (MNIST-1D, synthetic): the app launches each here. The CPU
    presets on the 4k MNIST subset need ../shared/data: tests/studies/test_mnist_presets.py
    expands each and loads its data there."""
    generated = ("mnist1d", "gaussian")
    return [
        p.name for p in list_presets() if not needs_gpu(p) and p.raw.get("data", {}).get("name", "mnist1d") in generated
    ]


def test_every_cpu_preset_is_shrunk_here():
    assert sorted(cpu_presets()) == sorted(SHRINK), "a shipped CPU preset has no shrunk form values here"


@pytest.mark.long
@pytest.mark.timeout(3600)  # a hang guard: 18 presets train here, on a loaded machine too
def test_launch_every_cpu_preset_from_the_app(home, monkeypatch):
    from overfit_tui.runs.queue import update_state
    from overfit_tui.store import Store

    monkeypatch.setenv("OVERFIT_TUI_WARM_S", "30")  # the workers stay warm from one preset's launch to the next

    # Every preset goes through the home's one queue: 4 CPU slots (1 torch thread each) overlap
    # the workers' start-up on 2 cores, as the per-group schedulers of earlier versions did.
    update_state(Store(home), cpu_slots=4)

    async def go():
        app = make_app(home=home.root, preset="smoke-mnist1d")
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause(0.5)
            await each_pane(pilot, app, SHORT)  # an empty store
            for name in cpu_presets():
                pane = app._show_preset(name)
                await pilot.pause(0.2)
                form = pane.query_one("#form")
                for key, value in {"seeds": "[0]", **SHRINK[name]}.items():  # one seed: fewer worker processes
                    form.inputs[key].value = value
                await pilot.pause(0.1)
                assert form.group() is not None, name
                focused = pane.query_one("#presets")
                focused.focus()
                assert await until(pilot, lambda w=focused: app.focused is w)  # before any key reaches it
                await pilot.press("enter")  # launch from the preset list, as a user does
                assert await until(pilot, lambda n=name: any(r.preset == n for r in app.cache.records.values()))
            # partial data if there is any: a run the app sees running, unless warm workers already
            # finished them all (waiting for a state that cannot come would only run out the ceiling)
            assert await until(
                pilot,
                lambda: (
                    any(r.status is Status.RUNNING for r in app.cache.records.values())
                    or all(r.status in ENDED for r in app.store.runs())
                ),
            )
            # every pane's charts drawn from whatever is partial now (every chart key on partial and
            # finished data of every group: test_chart_keys.py); when every
            # run had already ended, that is the finished drawing below, done once
            if any(r.status is Status.RUNNING for r in app.cache.records.values()):
                await each_pane(pilot, app, [])
            # the store, not the app's cache: the cache keeps only the groups on screen
            assert await until(pilot, lambda: all(r.status in ENDED for r in app.store.runs()))
            # the app has seen every run end (its own poll of the store), not a fixed pause
            assert await until(pilot, lambda: all(r.status in ENDED for r in app.cache.records.values()))
            records = app.store.runs()
            bad = {r.label: (str(r.status), (r.error or "")[-300:]) for r in records}
            assert {s for s, _ in bad.values()} == {"finished"}, bad
            assert {r.preset for r in records} == set(SHRINK)
            await each_pane(pilot, app, [])  # every pane drawn from its finished runs

    asyncio.run(go())
