"""The Ray backend on one Ray head per module (`ray start --head`, the single-box recipe of
docs/scale.md; Ray starts slowly on 2 cores), shared by the tests that do not kill it: a
group through Ray lands in the store with curves and the local backend's numbers for the same
seeds, a cancelled task ends cancelled with its curves, a killed task process is retried (or,
without retries, ends lost with its reason and its curves). Without a cluster: `--address auto`
starts a local instance and says so; a loopback HOST:PORT with nothing listening fails the runs
within the stated bound with the reason, and a cancel ends the attempt. The single-box recipe of
docs/scale.md (`ray start --head --port P`, `run --backend ray`) from the CLI, and a head that dies
mid-group (its own head). Only loopback addresses; every Ray head a test starts is stopped by its process group,
even when the test fails."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from overfit_tui.runs.launcher import cancel, launch, wait
from overfit_tui.studies.groups import group_from_dict

from .polling import HANG, wait_for

# One xdist worker runs this module's tests one after another (`--dist loadfile`, ./dev): a Ray
# instance another worker started would be joined by `--address auto`, and each worker would start
# its own module head. The module starts first, beside the other long tests (tests/conftest.py).
pytestmark = pytest.mark.long

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
def head():
    """The module's Ray head, `ray start --head --port P` as docs/scale.md says (started by the first
    test that asks for it): the single-box recipe joins it, and so do the tests that do not kill it."""
    with ray_head(cpus=2) as (port, _):
        yield port


@pytest.fixture
def cluster(head):
    return f"127.0.0.1:{head}"  # only loopback addresses


def _group(**train):
    return group_from_dict({**TINY, "train": {**TINY["train"], **train}})


def _group_one(**train):
    return group_from_dict(
        {**TINY, "params": {**TINY["params"], "corruption": [0.0]}, "train": {**TINY["train"], **train}}
    )


# -- without a cluster, and the single-box recipe -----------------------------------------------

TINY_TOML = """
study = "randomization"
name = "tiny-ray"
seeds = [0]
[data]
name = "mnist1d"
n_train = 200
[[models]]
name = "mlp"
width = 16
[train]
lr = 0.05
lr_decay = 1.0
batch_size = 100
epochs = 6
log_every = 2
fuse = "off"
[params]
corruption = [0.0]
inputs = []
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _other_ray_instances() -> bool:
    from ray._private import services

    services.find_gcs_addresses.cache_clear()
    return bool(services.find_gcs_addresses())


@contextlib.contextmanager
def ray_head(cpus: int = 1):
    """`ray start --head --port P` on a free port (blocking, in its own session, so that its whole
    process group is ours to stop: `ray stop` would stop every Ray instance of the machine)."""
    from overfit_tui.runs.ray_backend import _answers

    port = _free_port()
    temp = tempfile.mkdtemp(prefix="rayh", dir="/tmp")  # short: Ray's socket paths have a length limit
    ray_bin = Path(sys.executable).parent / "ray"
    cmd = [str(ray_bin), "start", "--head", "--block", "--port", str(port), "--num-cpus", str(cpus)]
    cmd += ["--include-dashboard", "false", "--disable-usage-stats", "--temp-dir", temp]
    with open(Path(temp) / "head.log", "wb") as log:
        proc = subprocess.Popen(
            cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
        )
    try:
        assert wait_for(lambda: _answers(f"127.0.0.1:{port}") or proc.poll() is not None), "head did not start"
        assert proc.poll() is None, (Path(temp) / "head.log").read_text()[-2000:]
        yield port, proc
    finally:
        _stop_group(proc)
        shutil.rmtree(temp, ignore_errors=True)


def _stop_group(proc: subprocess.Popen) -> None:
    """SIGKILL the head's process group: the head and its node die together, as in the head-dies test
    (a SIGTERM let `ray start --block` stop them one by one: 35 s of teardown on 2 loaded cores);
    its temp dir is removed after."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(10)


def _preset(tmp_path) -> str:
    p = tmp_path / "tiny-ray.toml"
    p.write_text(TINY_TOML)
    return str(p)


def test_a_loopback_address_with_nothing_listening_fails_in_bounded_time_with_the_reason(store, monkeypatch):
    from overfit_tui.core.errors import OverfitError
    from overfit_tui.runs import ray_backend

    port = _free_port()  # nothing listens there
    monkeypatch.setattr(ray_backend, "CONNECT_S", 1.0)
    ray_backend._ray_target("127.0.0.1:1")  # imports Ray's address resolution before the clock starts
    t0 = time.monotonic()
    with pytest.raises(OverfitError) as e:
        ray_backend.connect(f"127.0.0.1:{port}")
    assert time.monotonic() - t0 < 15  # CONNECT_S, then the reason (not Ray's minutes of retries)
    why = str(e.value)
    assert "\n" not in why and f"127.0.0.1:{port}" in why and f"ray start --head --port {port}" in why
    assert "--address auto" in why

    # through the home's scheduler (the bound it reads from OVERFIT_TUI_RAY_CONNECT_S, 20 s unset;
    # 3 s here): the runs fail with that reason, recorded
    monkeypatch.setenv("OVERFIT_TUI_RAY_CONNECT_S", "3")
    bound = 3.0
    gid, _ = launch(store, _group_one(), devices=["cpu"], backend="ray", address=f"127.0.0.1:{port}")
    (r,) = wait(store, gid, timeout=HANG)
    assert r.status == "failed" and f"no Ray cluster at 127.0.0.1:{port}" in r.error
    assert f"in {bound:.0f} s" in r.error and "\n" not in r.error


def test_a_cancel_ends_the_connection_attempt(store):
    from overfit_tui.runs.queue import scheduler_pid

    port = _free_port()
    gid, _ = launch(store, _group_one(), devices=["cpu"], backend="ray", address=f"127.0.0.1:{port}")
    log = lambda: (store.home.queue_dir / "scheduler.log").read_text(errors="replace")
    assert wait_for(lambda: "ray: connecting" in log())  # the scheduler is probing the address
    cancel(store, gid)
    (r,) = wait(store, gid, timeout=10)
    assert r.status == "cancelled"  # at once, whatever the scheduler is doing
    assert wait_for(lambda: scheduler_pid(store.home) is None)  # the scheduler gave up and left
    assert "no Ray cluster" not in log()  # it gave up without failing anything


def test_auto_without_a_cluster_starts_a_local_instance_and_says_so(cli, store, tmp_path):
    if _other_ray_instances():
        pytest.skip("another Ray instance runs on this machine: --address auto would join it")
    code, out, err = cli("run", _preset(tmp_path), "--backend", "ray")
    (r,) = store.runs()
    assert r.status == "finished", (r.error, out, err)
    note = r.provenance["ray_cluster"]
    assert "no Ray cluster runs on this machine: started a local Ray instance" in note
    assert "started a local Ray instance" in out  # the CLI prints that line
    # the local instance leaves with the scheduler that started it: the next test's `auto` finds
    # no cluster but its own head
    from overfit_tui.runs.queue import scheduler_pid

    assert wait_for(lambda: scheduler_pid(store.home) is None and not _other_ray_instances())


def test_a_head_that_dies_mid_group_ends_its_runs_lost_with_curves_and_fails_the_queued(store, monkeypatch):
    from overfit_tui.runs.queue import scheduler_pid

    monkeypatch.setenv("OVERFIT_TUI_RAY_HEAD_LOST_S", "3")  # read by the home's scheduler (10 s unset)

    group = group_from_dict(
        {
            **TINY,
            "params": {**TINY["params"], "corruption": [0.0, 0.5, 1.0]},
            "train": {**TINY["train"], "epochs": 100000, "target_train_acc": 0.0},
        }
    )
    with ray_head(cpus=1) as (port, head):
        gid, _ = launch(store, group, devices=["cpu"], backend="ray", address=f"127.0.0.1:{port}")
        running = lambda: [r for r in store.runs(gid) if r.status == "running" and store.metrics(r.id)]
        assert wait_for(lambda: running())
        (started,) = running()  # one CPU: one task runs, the others wait in the queue
        os.killpg(head.pid, signal.SIGKILL)  # the head and its node die together
        runs = wait(store, gid, timeout=HANG)
    by_id = {r.id: r for r in runs}
    lost = by_id.pop(started.id)
    assert lost.status == "lost" and "lost the Ray cluster" in lost.error and "for 3 s" in lost.error
    assert store.metrics(lost.id)  # the events already received stay
    for r in by_id.values():
        assert r.status in ("failed", "lost") and "lost the Ray cluster" in r.error
    assert wait_for(lambda: scheduler_pid(store.home) is None)


def test_the_single_box_recipe_from_the_cli(cli, store, tmp_path, head):
    """docs/scale.md: `ray start --head --port P` (the module's head), then `run --backend ray`
    (auto, and 127.0.0.1:P)."""
    preset, port = _preset(tmp_path), head
    code, out, err = cli("run", preset, "--backend", "ray", "--address", f"127.0.0.1:{port}")
    (r,) = store.runs()
    assert r.status == "finished", (r.error, out, err)
    assert f"joined the Ray cluster at 127.0.0.1:{port}" in r.provenance["ray_cluster"]
    if not _other_ray_instances_than(port):
        code, out, err = cli("run", preset, "--backend", "ray")
        r = max(store.runs(), key=lambda r: r.created)
        assert r.status == "finished", (r.error, out, err)
        assert f":{port}" in r.provenance["ray_cluster"] and "joined" in out


def _other_ray_instances_than(port: int) -> bool:
    from ray._private import services

    services.find_gcs_addresses.cache_clear()
    return any(not a.endswith(f":{port}") for a in services.find_gcs_addresses())


def test_a_killed_worker_without_retries_ends_lost_with_its_reason_and_curves(store, cluster, monkeypatch):
    monkeypatch.setenv("OVERFIT_TUI_RAY_RETRIES", "0")  # read by the home's scheduler this test starts
    gid, _ = launch(
        store, _group_one(epochs=100000, target_train_acc=0.0), devices=["cpu"], backend="ray", address=cluster
    )
    run = lambda: store.runs(gid)[0]
    assert wait_for(lambda: run().status == "running" and store.metrics(run().id))
    n = len(store.metrics(run().id))
    os.kill(run().provenance["pid"], signal.SIGKILL)
    (r,) = wait(store, gid, timeout=HANG)
    assert r.status == "lost" and "Ray task failed after 0 retries" in r.error
    assert len(store.metrics(r.id)) >= n  # the events received before the kill stay


# -- on the module's Ray head (started by the recipe's test, or the first test here that runs) -----


def test_a_group_through_ray_gives_the_local_numbers(store, cluster):
    g_ray, _ = launch(store, _group(), devices=["cpu"], backend="ray", address=cluster)
    g_local, _ = launch(store, _group(), devices=["cpu"])
    remote, local = wait(store, g_ray, timeout=HANG), wait(store, g_local, timeout=HANG)
    assert [r.status for r in remote] == ["finished", "finished"]
    for r, loc in zip(remote, local):
        assert r.ray and r.provenance["backend"] == "ray" and r.provenance["node"]
        assert r.device.endswith("/cpu") and r.device.startswith(r.provenance["node"])
        evs, loc_evs = store.metrics(r.id), store.metrics(loc.id)
        assert [e["kind"] for e in evs] == [e["kind"] for e in loc_evs]  # every event came back, in order
        for k in ("final_train_acc", "final_test_acc", "final_train_loss"):
            assert r.summary[k] == pytest.approx(loc.summary[k], abs=1e-6), k


def test_a_cancelled_ray_task_ends_cancelled_and_a_killed_one_is_retried(store, cluster):
    group = _group_one(epochs=100000, target_train_acc=0.0)
    gid, _ = launch(store, group, devices=["cpu"], backend="ray", address=cluster)
    run = lambda: store.runs(gid)[0]
    assert wait_for(lambda: run().status == "running" and store.metrics(run().id))
    first = run().provenance["pid"]
    os.kill(first, signal.SIGKILL)  # the Ray worker process running the task: a system failure
    assert wait_for(lambda: run().provenance["pid"] != first and store.metrics(run().id))
    assert run().status == "running"  # retried (max_retries), its curves started again
    cancel(store, gid)
    (r,) = wait(store, gid, timeout=HANG)
    assert r.status == "cancelled" and store.metrics(r.id)  # partial curves kept
