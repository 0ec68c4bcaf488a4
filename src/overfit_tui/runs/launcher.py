"""Launching a group (its records, queued in the home's queue, and the home's scheduler started
if it is not running), cancelling and restarting runs."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

from overfit_tui.core.errors import OverfitError
from overfit_tui.core.ids import new_group_id
from overfit_tui.core.records import RunRecord
from overfit_tui.core.specs import GroupSpec
from overfit_tui.core.status import Status
from overfit_tui.runs.liveness import reconcile
from overfit_tui.runs.queue import PRIORITY_MAX, SLOTS_MAX, cuda_devices, ensure_scheduler, pool_devices
from overfit_tui.runs.ray_backend import check_address
from overfit_tui.runs.records import new_group_record, new_run_records
from overfit_tui.store import Store
from overfit_tui.store.schema import ACTIVE, group_record
from overfit_tui.studies import get_study
from overfit_tui.studies.groups import run_spec_from_dict


def default_devices() -> list[str]:
    return cuda_devices() or ["cpu"]


def start_scheduler(store: Store) -> subprocess.Popen | None:
    """The home's one scheduler, started unless it runs (it picks up every queued group)."""
    return ensure_scheduler(store)


def launch_settings(
    devices: list[str] | None,
    per_device: int = 0,
    data_dir: Path | None = None,
    download: bool = False,
    backend: str | None = None,
    address: str | None = None,
) -> dict:
    """How a group's jobs run, kept on its group record for the home's scheduler. The backend:
    `backend`, else $OVERFIT_TUI_BACKEND, else local; a Ray address: `address`, else
    $OVERFIT_TUI_RAY_ADDRESS, else auto."""

    devices = devices or default_devices()
    pool = pool_devices() if set(devices) - {"cpu"} else ["cpu"]  # a GPU named: does torch see it
    unknown = [d for d in devices if d not in pool]
    if unknown:
        raise OverfitError(f"--device {','.join(unknown)}: not on this machine (it has {', '.join(pool)})")
    if not 0 <= per_device <= SLOTS_MAX:
        raise OverfitError(f"--per-device {per_device}: give 0 (the device's slots) to {SLOTS_MAX}")
    backend = backend or os.environ.get("OVERFIT_TUI_BACKEND") or "local"
    if backend not in ("local", "ray"):
        raise OverfitError(f"backend {backend!r} (--backend / OVERFIT_TUI_BACKEND): one of local, ray")
    out = {
        "devices": devices,
        "per_device": per_device,
        "data_dir": str(data_dir) if data_dir else None,
        "download": download,
        "backend": backend,
    }
    if backend == "ray":
        import importlib.util

        if importlib.util.find_spec("ray") is None:
            raise OverfitError("--backend ray: ray is not installed (pip install 'overfit-tui[ray]')")
        out["address"] = check_address(address or os.environ.get("OVERFIT_TUI_RAY_ADDRESS"))
    elif address:
        raise OverfitError("--address is for --backend ray")
    return out


def launch(
    store: Store,
    group: GroupSpec,
    preset: str | None = None,
    preset_path: str | None = None,
    devices: list[str] | None = None,
    per_device: int = 0,
    data_dir: Path | None = None,
    download: bool = False,
    priority: int = 0,
    backend: str | None = None,
    address: str | None = None,
) -> tuple[str, subprocess.Popen | None]:
    """Record the group's runs as queued in the home's queue and make sure its scheduler runs;
    returns (group id, the scheduler if this call started it)."""
    study = get_study(group.study)
    runs = study.expand(group)
    settings = launch_settings(devices, per_device, data_dir, download, backend, address)
    jobs = study.jobs(runs, on_gpu=all(d.startswith("cuda") for d in settings["devices"]))
    grec = new_group_record(group, preset, preset_path)
    grec.update(launch=settings, priority=_priority(priority))
    store.add_group(grec, new_run_records(grec["id"], runs, jobs, preset))
    return grec["id"], start_scheduler(store)


def _priority(p: int) -> int:

    if not -PRIORITY_MAX <= p <= PRIORITY_MAX:
        raise OverfitError(f"--priority {p}: give a whole number from -{PRIORITY_MAX} to {PRIORITY_MAX}")
    return p


def cancel(store: Store, ref: str) -> list[str]:
    """Cancel a run or a whole group: queued runs at once, running ones at their next log step."""
    touched = []
    for r in store.resolve(ref):
        if store.transition(r.id, (Status.QUEUED,), status=Status.CANCELLED, ended=time.time()):
            touched.append(r.id)
        elif r.status == Status.RUNNING:
            d = store.home.run_dir(r.id)
            d.mkdir(parents=True, exist_ok=True)
            (d / "cancel").touch()
            touched.append(r.id)
    return touched


def stop_running(store: Store) -> list[str]:
    """Cancel every queued or running run (the app's 'stop them' on quit)."""
    ids = []
    for g in store.active_groups():
        if any(r.status in ACTIVE for r in store.runs(g)):
            ids += cancel(store, g)
    return ids


def restart(store: Store, ref: str, devices: list[str] | None = None, data_dir: Path | None = None) -> str:
    """Run a run, or every run of a group, again from its stored spec: new runs in a new group
    (the old runs and their results stay). Returns the new group's id."""
    old = store.resolve(ref)
    active = [r.id for r in old if r.status in ACTIVE]
    if active:
        raise OverfitError(
            f"{len(active)} of these runs are still queued or running ({', '.join(active[:4])}): cancel them first"
        )
    specs = [run_spec_from_dict(r.spec_data) for r in old]
    study = get_study(specs[0].study)
    settings = launch_settings(devices, data_dir=data_dir)
    jobs = study.jobs(specs, on_gpu=all(d.startswith("cuda") for d in settings["devices"]))
    source = old[0].id if len(old) == 1 else old[0].group
    gid = new_group_id(f"restart-{source}")
    preset = old[0].preset
    spec = old[0].spec_data if len(old) == 1 else {}
    store.add_group(
        group_record(
            gid,
            f"restart of {source}",
            study.name,
            preset,
            spec,
            old[0].spec_hash if len(old) == 1 else None,
            restart_of=[r.id for r in old],
            launch=settings,
            priority=0,
        ),
        new_run_records(gid, specs, jobs, preset),
    )
    start_scheduler(store)
    return gid


def wait(store: Store, group_id: str, timeout: float = 600.0) -> list[RunRecord]:
    """Block until no run of the group is queued or running (for tests and scripts)."""

    t0 = time.time()
    while time.time() - t0 < timeout:
        runs = store.runs(group_id)
        if all(r.status not in (Status.QUEUED, Status.RUNNING) for r in runs):
            return runs
        reconcile(store)
        time.sleep(0.3)
    raise TimeoutError(f"group {group_id} still running after {timeout}s")
