"""Shared fixtures: a temporary home per test, a data cache shared by the whole session
(MNIST-1D is generated once), and the real MNIST subset in ../shared/data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
BAD = Path(__file__).parent / "data" / "bad"

# Two runs (true and random labels) of a 32-unit MLP on 300 MNIST-1D samples: seconds on CPU.
TINY_TOML = """
study = "randomization"
name = "tiny"
description = "two tiny runs"
[data]
name = "mnist1d"
n_train = 300
[[models]]
name = "mlp"
width = 32
[train]
lr = 0.05
lr_decay = 1.0
batch_size = 100
epochs = 30
log_every = 3
[params]
corruption = [0.0, 1.0]
inputs = []
"""


def pytest_collection_modifyitems(config, items):
    """The tests marked `long` first: with two xdist workers a minute-long test collected last
    would run alone after the rest had finished (`--dist loadfile`, ./dev, hands out whole files
    in the order of their first test here, a file as soon as a worker has 2 tests left)."""
    items[:] = sorted(items, key=lambda item: item.get_closest_marker("long") is None)


@pytest.fixture(scope="session", autouse=True)
def _data_cache(tmp_path_factory):
    # One cache per xdist worker; workers spawned by the runs/ tests inherit it.
    cache = Path(os.environ.get("OVERFIT_TUI_TEST_CACHE", tmp_path_factory.getbasetemp().parent / "data-cache"))
    cache.mkdir(parents=True, exist_ok=True)
    os.environ["OVERFIT_TUI_DATA"] = str(cache)
    os.environ.setdefault("OVERFIT_TUI_THREADS", "1")
    # warm workers leave 2 s after their last job (the default 60 s would keep each test's
    # scheduler, and a test waiting for it to leave, a minute longer); jobs handed back to back
    # still share a worker (tests/runs/test_warm.py and the app's every-preset test set their own)
    os.environ.setdefault("OVERFIT_TUI_WARM_S", "2")
    # a developer's own settings file (core/config.py) never reaches a test
    os.environ["OVERFIT_TUI_CONFIG"] = str(tmp_path_factory.getbasetemp() / "no-config.toml")
    import torch

    torch.set_num_threads(1)
    yield cache


@pytest.fixture
def home(tmp_path, monkeypatch):
    from overfit_tui.core.paths import Home

    monkeypatch.setenv("OVERFIT_TUI_HOME", str(tmp_path / "home"))
    home = Home.resolve(tmp_path / "home")
    yield home
    _kill_leftovers(home)


def _kill_leftovers(home) -> None:
    """A failing test must not leave schedulers or workers training in the background."""
    import signal

    from overfit_tui.runs.queue import scheduler_pid
    from overfit_tui.store import Store

    try:
        store = Store(home)
        pids = [scheduler_pid(home)] + [g.scheduler_pid for g in store.groups()]
        pids += [r.pid for r in store.runs()]
    except Exception:
        return
    for pid in filter(None, pids):
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


@pytest.fixture
def store(home):
    from overfit_tui.store import Store

    return Store(home)


@pytest.fixture(scope="session")
def mnist_dir():
    if not (SHARED_DATA / "MNIST" / "raw" / "train-images-idx3-ubyte").exists():
        pytest.skip("the shared MNIST subset is not beside the repo")
    return SHARED_DATA


@pytest.fixture(scope="session")
def mnist1d(_data_cache):
    from overfit_tui.core.specs import DataSpec
    from overfit_tui.engine.data import prepare

    return prepare(DataSpec(), _data_cache, _data_cache)
