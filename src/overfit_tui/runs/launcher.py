"""Launching a group (records + a detached scheduler), cancelling and restarting runs."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from overfit_tui.core.specs import GroupSpec
from overfit_tui.runs.records import new_group_record, new_run_records
from overfit_tui.store import Store
from overfit_tui.studies import get_study
from overfit_tui.studies.groups import run_spec_from_dict


def default_devices() -> list[str]:
    from overfit_tui.engine.device import cuda_devices

    return cuda_devices() or ["cpu"]


def start_scheduler(
    store: Store,
    group_id: str,
    devices: list[str],
    per_device: int = 0,
    data_dir: Path | None = None,
    download: bool = False,
) -> subprocess.Popen:
    home = store.home
    log = home.root / "groups" / f"{group_id}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    cmd = [
        sys.executable,
        "-m",
        "overfit_tui.runs.scheduler",
        "--home",
        str(home.root),
        "--group",
        group_id,
        "--devices",
        ",".join(devices),
        "--per-device",
        str(per_device),
    ]
    if data_dir:
        cmd += ["--data-dir", str(data_dir)]
    if download:
        cmd.append("--download")
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
        )
    store.update_group(group_id, scheduler_pid=proc.pid, devices=devices)
    return proc


def launch(
    store: Store,
    group: GroupSpec,
    preset: str | None = None,
    preset_path: str | None = None,
    devices: list[str] | None = None,
    per_device: int = 0,
    data_dir: Path | None = None,
    download: bool = False,
) -> tuple[str, subprocess.Popen]:
    """Record the group's runs as queued and start its scheduler; returns (group id, scheduler)."""
    study = get_study(group.study)
    runs = study.expand(group)
    devices = devices or default_devices()
    jobs = study.jobs(runs, on_gpu=all(d.startswith("cuda") for d in devices))
    grec = new_group_record(group, preset, preset_path)
    store.add_group(grec)
    store.add_runs(new_run_records(grec["id"], runs, jobs, preset))
    return grec["id"], start_scheduler(store, grec["id"], devices, per_device, data_dir, download)


def cancel(store: Store, ref: str) -> list[str]:
    """Cancel a run or a whole group: queued runs at once, running ones at their next log step."""
    touched = []
    for r in store.find_runs(ref):
        if store.transition(r["id"], ("queued",), status="cancelled", ended=time.time()):
            touched.append(r["id"])
        elif r["status"] == "running":
            d = store.home.run_dir(r["id"])
            d.mkdir(parents=True, exist_ok=True)
            (d / "cancel").touch()
            touched.append(r["id"])
    return touched


def stop_running(store: Store) -> list[str]:
    """Cancel every queued or running run (the app's 'stop them' on quit)."""
    ids = []
    for g in {r["group"] for r in store.runs() if r["status"] in ("queued", "running")}:
        ids += cancel(store, g)
    return ids


def restart(store: Store, ref: str, devices: list[str] | None = None, data_dir: Path | None = None) -> str:
    """Run a failed, cancelled, lost or diverged run again from its spec, as a new run in a new group."""
    old = store.require_runs(ref)[0]
    spec = run_spec_from_dict(old["spec"])
    gid = f"restart-{old['id']}-{time.strftime('%H%M%S')}"
    store.add_group(
        {
            "id": gid,
            "name": f"restart of {old['id']}",
            "study": spec.study,
            "preset": old.get("preset"),
            "spec": old["spec"],
            "spec_hash": old["spec_hash"],
            "created": time.time(),
            "scheduler_pid": None,
            "tags": [],
            "notes": "",
        }
    )
    store.add_runs(new_run_records(gid, [spec], [[0]], old.get("preset")))
    start_scheduler(store, gid, devices or default_devices(), data_dir=data_dir)
    return gid


def wait(store: Store, group_id: str, timeout: float = 600.0) -> list[dict]:
    """Block until no run of the group is queued or running (for tests and scripts)."""
    from overfit_tui.runs.liveness import reconcile

    t0 = time.time()
    while time.time() - t0 < timeout:
        runs = store.runs(group_id)
        if all(r["status"] not in ("queued", "running") for r in runs):
            return runs
        reconcile(store)
        time.sleep(0.3)
    raise TimeoutError(f"group {group_id} still running after {timeout}s")
