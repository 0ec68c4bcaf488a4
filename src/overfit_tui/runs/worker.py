"""Worker process: trains one job (one run, or several stacked runs) and records it; or, warm
(`--warm`, runs/warm.py), trains job after job handed to it by the home's scheduler, with torch
imported and data cached, until it has been idle for `--idle` seconds.

Started by the scheduler as `python -m overfit_tui.runs.worker --home H --device D RUN...`
(or `... --warm --idle S`) in its own session, with stdout/stderr in the job's log file. It first claims its runs
(the queued -> running transition, atomic in the store): a run another worker claimed,
or one cancelled meanwhile, is not trained. SIGTERM (or a `cancel` file in a run's
folder) stops training gracefully; any exception marks the job's unfinished runs failed
with the traceback; a heartbeat file proves it is alive. Every later write is guarded by
the claim (the run's pid is ours), so a worker never records over another's run.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
import traceback
from contextlib import contextmanager, nullcontext
from pathlib import Path

from overfit_tui.core.paths import Home
from overfit_tui.core.specs import ModelSpec, TrainSpec
from overfit_tui.core.status import Status
from overfit_tui.engine.provenance import provenance
from overfit_tui.runs.queue import proc_start
from overfit_tui.runs.warm import POLL_S, Slot, leave_if_idle, register, take
from overfit_tui.store import Store
from overfit_tui.store.metrics import MetricWriter
from overfit_tui.studies import get_study
from overfit_tui.studies.groups import run_spec_from_dict
from overfit_tui.studies.shared.context import ExecContext

HEARTBEAT_S = 2.0
TERM = threading.Event()  # SIGTERM came: the job stops gracefully, and a warm worker leaves after it


class StoreContext(ExecContext):
    """An ExecContext that writes events to metric logs and results to the store."""

    def __init__(self, store: Store, run_ids: list[str], device: str, data_dir: Path, download_ok: bool):
        super().__init__(device, data_dir, store.home.data_dir, download_ok)
        self.store, self.ids = store, run_ids
        self.writers = {i: MetricWriter(store.metrics_path(r)) for i, r in enumerate(run_ids)}
        self.ended: set[int] = set()
        self.stop_all = False
        self._cancel_checked = 0.0
        self._cancelled: set[int] = set()

    def started(self, i: int) -> None:

        self.store.transition(
            self.ids[i],
            (Status.RUNNING,),
            only_if=_mine,
            device=self.device,
            started=time.time(),
            provenance=provenance(self.device, self.data_provenance),
        )

    def emit(self, i: int, event) -> None:
        self.writers[i].write(event)

    def finish(self, i: int, status: str, summary: dict) -> None:
        self.ended.add(i)
        self.writers[i].close()
        record(self.store, self.ids[i], status=status, summary=summary, ended=time.time(), error=None)

    def should_stop(self) -> bool:
        return self.stop_all

    def member_cancelled(self, i: int) -> bool:
        now = time.monotonic()
        if now - self._cancel_checked > 0.5:
            self._cancel_checked = now
            self._cancelled = {j for j, r in enumerate(self.ids) if (self.store.home.run_dir(r) / "cancel").exists()}
        return i in self._cancelled

    def save_checkpoint(self, i: int, name: str, state: dict) -> None:
        """Under the run's folder (checkpoints/NAME.pt), so a restarted job can resume from it."""
        from overfit_tui.engine.checkpoints import save_checkpoint  # lazy: torch, for jobs that checkpoint

        save_checkpoint(self.store.home.run_dir(self.ids[i]), name, state)

    def load_checkpoint(self, i: int, name: str) -> dict | None:
        from overfit_tui.engine.checkpoints import load_checkpoint  # lazy: torch, for jobs that checkpoint

        path = self.store.home.run_dir(self.ids[i]) / "checkpoints" / f"{name}.pt"
        return load_checkpoint(path) if path.is_file() else None


def _mine(rec: dict) -> bool:
    return rec.get("pid") == os.getpid()


def claim(store: Store, run_ids: list[str]) -> list[str]:
    """The runs this process wins: queued -> running with our pid, atomically; the others are not ours."""
    return [r for r in run_ids if store.transition(r, (Status.QUEUED,), status=Status.RUNNING, pid=os.getpid())]


def record(store: Store, run_id: str, **fields) -> bool:
    """Write a claimed run's outcome. A run wrongly marked lost (its worker was stopped, not gone)
    gets its real outcome, with the error of its loss cleared by the caller's fields."""
    return store.transition(run_id, (Status.RUNNING, Status.LOST), only_if=_mine, **fields)


def _heartbeat(paths: list[Path], stop: threading.Event) -> None:
    while not stop.is_set():
        for p in paths:
            p.parent.mkdir(parents=True, exist_ok=True)
            p.touch()
        stop.wait(HEARTBEAT_S)


def run_job(
    home: Home, run_ids: list[str], device: str, data_dir: Path, download_ok: bool = False, threads: int | None = None
) -> None:
    from overfit_tui.engine.device import configure_threads  # lazy: torch, loaded when a job starts, not on import

    store = Store(home)
    run_ids = claim(store, run_ids)
    if not run_ids:
        print("nothing to train: these runs were claimed by another worker or cancelled", flush=True)
        return
    if device == "cpu":
        configure_threads(threads)
    records = [store.get_run(r) for r in run_ids]
    ctx = StoreContext(store, run_ids, device, data_dir, download_ok)
    signal.signal(signal.SIGTERM, lambda *_: (setattr(ctx, "stop_all", True), TERM.set()))
    signal.signal(signal.SIGHUP, signal.SIG_IGN)  # the SSH session may go; training stays
    stop = threading.Event()
    beat = threading.Thread(
        target=_heartbeat, args=([home.run_dir(r) / "heartbeat" for r in run_ids], stop), daemon=True
    )
    beat.start()
    try:
        specs = [run_spec_from_dict(rec.spec_data) for rec in records]
        get_study(specs[0].study).execute(specs, ctx)
    except BaseException:
        tb = traceback.format_exc()
        print(tb, flush=True)
        for i, r in enumerate(run_ids):
            if i not in ctx.ended:
                record(store, r, status=Status.FAILED, error=tb, ended=time.time())
        raise SystemExit(1) from None
    finally:
        stop.set()


def _warm_up(device: str) -> None:
    """Pay the imports and torch's first-call costs before the first job, not inside it."""
    import torch

    from overfit_tui.engine.models import build_model  # lazy: torch, warm-up only
    from overfit_tui.engine.train import Member, train  # lazy: torch, warm-up only

    x, y = torch.randn(64, 40, device=device), torch.randint(10, (64,), device=device)
    model = build_model(ModelSpec(name="mlp", width=16), (40,), 10, 0).to(device)
    spec = TrainSpec(batch_size=32, epochs=1, target_train_acc=0.0)
    train([Member(model, x, y, x, y, order_seed=0)], spec)


@contextmanager
def _output_to(log: Path):
    """The process's stdout and stderr into a job's log file for the job's length."""
    log.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    try:
        yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        os.close(saved[0])
        os.close(saved[1])


def serve(home: Home, device: str, idle_s: float) -> None:
    """The warm worker's loop: take the job handed over, train it, wait for the next; leave
    after `idle_s` seconds without one (or on SIGTERM while idle)."""

    slot = Slot(home, os.getpid())
    stop = TERM
    signal.signal(signal.SIGHUP, signal.SIG_IGN)  # the SSH session may go; the worker stays
    _warm_up(device)
    register(slot, proc_start(slot.pid), device, ready=True)
    print(f"warm worker {slot.pid} on {device}: ready", flush=True)
    last = time.monotonic()
    while True:
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        job = take(slot)
        if job is not None and job.get("exit"):  # the scheduler lowered this device's slots
            slot.clear()
            return
        if job is not None:
            runs = [r for r in job.get("runs") or [] if isinstance(r, str)]
            data_dir = Path(job["data_dir"]) if job.get("data_dir") else home.data_dir
            try:
                with _output_to(home.run_dir(runs[0]) / "worker.log") if runs else nullcontext():
                    run_job(home, runs, device, data_dir, bool(job.get("download")), job.get("threads"))
            except SystemExit:
                pass  # the job's runs are recorded failed; the worker serves the next one
            except Exception:  # before training (claiming, reading the records): the runs end lost, not the worker
                traceback.print_exc()
            finally:
                slot.busy.unlink(missing_ok=True)
            last = time.monotonic()
            continue
        if stop.is_set() or time.monotonic() - last > idle_s:
            if leave_if_idle(slot):
                print(f"warm worker {slot.pid}: idle, leaving", flush=True)
                return
        stop.wait(POLL_S)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--home", required=True)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--download", action="store_true")
    ap.add_argument("--warm", action="store_true", help="serve jobs handed over by the scheduler (runs/warm.py)")
    ap.add_argument("--idle", type=float, default=60.0, help="with --warm: leave after this many idle seconds")
    ap.add_argument("runs", nargs="*")
    a = ap.parse_args(argv)
    home = Home.resolve(a.home)
    if a.warm:
        serve(home, a.device, a.idle)
        return
    if not a.runs:
        ap.error("give the runs to train (or --warm)")
    run_job(home, a.runs, a.device, Path(a.data_dir) if a.data_dir else home.data_dir, a.download)


if __name__ == "__main__":
    main()
