"""The Ray backend on a local Ray instance (one per module: Ray starts slowly on 2 cores): a
group through Ray lands in the store with curves and the local backend's numbers for the same
seeds, a cancelled task ends cancelled with its curves, a killed task process is retried."""

from __future__ import annotations

import os
import signal

import pytest

from overfit_tui.runs.launcher import cancel, launch, wait
from overfit_tui.studies.groups import group_from_dict

from .polling import wait_for

ray = pytest.importorskip("ray", reason="ray is not installed (pip install 'overfit-tui[ray]'; CI's test extra has it)")

TINY = {
    "study": "randomization",
    "name": "r",
    "data": {"name": "mnist1d", "n_train": 200},
    "models": [{"name": "mlp", "width": 16}],
    "train": {"lr": 0.05, "lr_decay": 1.0, "batch_size": 100, "epochs": 6, "log_every": 2, "fuse": "off"},
    "params": {"corruption": [0.0, 1.0], "inputs": []},
}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    ctx = ray.init(
        num_cpus=2,
        include_dashboard=False,
        logging_level="ERROR",
        log_to_driver=False,
        _temp_dir=str(tmp_path_factory.mktemp("ray")),
    )
    yield ctx.address_info["gcs_address"]
    ray.shutdown()


def _group(**train):
    return group_from_dict({**TINY, "train": {**TINY["train"], **train}})


def test_a_group_through_ray_gives_the_local_numbers(store, cluster):
    g_ray, _ = launch(store, _group(), devices=["cpu"], backend="ray", address=cluster)
    g_local, _ = launch(store, _group(), devices=["cpu"])
    remote, local = wait(store, g_ray, timeout=120), wait(store, g_local, timeout=120)
    assert [r["status"] for r in remote] == ["finished", "finished"]
    for r, loc in zip(remote, local):
        assert r["ray"] and r["provenance"]["backend"] == "ray" and r["provenance"]["node"]
        assert r["device"].endswith("/cpu") and r["device"].startswith(r["provenance"]["node"])
        evs, loc_evs = store.metrics(r["id"]), store.metrics(loc["id"])
        assert [e["kind"] for e in evs] == [e["kind"] for e in loc_evs]  # every event came back, in order
        for k in ("final_train_acc", "final_test_acc", "final_train_loss"):
            assert r["summary"][k] == pytest.approx(loc["summary"][k], abs=1e-6), k


def test_a_cancelled_ray_task_ends_cancelled_and_a_killed_one_is_retried(store, cluster):
    group = _group_one(epochs=100000, target_train_acc=0.0)
    gid, _ = launch(store, group, devices=["cpu"], backend="ray", address=cluster)
    run = lambda: store.runs(gid)[0]
    assert wait_for(lambda: run()["status"] == "running" and store.metrics(run()["id"]), 90)
    first = run()["provenance"]["pid"]
    os.kill(first, signal.SIGKILL)  # the Ray worker process running the task: a system failure
    assert wait_for(lambda: run()["provenance"]["pid"] != first and store.metrics(run()["id"]), 90)
    assert run()["status"] == "running"  # retried (max_retries), its curves started again
    cancel(store, gid)
    (r,) = wait(store, gid, timeout=60)
    assert r["status"] == "cancelled" and store.metrics(r["id"])  # partial curves kept


def _group_one(**train):
    return group_from_dict(
        {**TINY, "params": {**TINY["params"], "corruption": [0.0]}, "train": {**TINY["train"], **train}}
    )
