"""The Ray backend: the home's scheduler as a Ray driver, each job a Ray task on any node.

Only this module imports ray, and only inside functions: without `--backend ray` nothing does.
A job becomes one task with the job's resources (`num_cpus` 1; `num_gpus` 1 / workers per GPU
for a GPU group) and `max_retries` for system failures (a node or worker process dying). The
task runs the same study code as a local worker (`Study.execute` with a `RemoteContext`): MNIST-1D
is generated on the node; a torchvision set must be in `--data-dir` on every node (the task
fails with that message). No shared filesystem is assumed: events travel back in batches
(every 0.25 s) to a `Sink` actor of the driver, which appends them to the runs' metrics files
and records starts and ends in the store, so remote runs show like local ones (the device
column reads NODE/DEVICE; the provenance is the node's, and start and end times are the
node's clock). A retried task starts its runs again:
their curves restart. Cancelling a run reaches the task through the sink (the study stops
the member at its next step, like a local worker); a job whose runs are all cancelled before
it started is cancelled in Ray. A task that fails after its retries ends its unrecorded runs
lost, their partial curves kept. The sink and the tasks belong to the driver's Ray job: if
the driver dies, Ray cancels them (nothing is left on the cluster) and the home marks the
runs lost.
"""

from __future__ import annotations

import os
import socket
import tempfile
import time
import traceback
import uuid
from pathlib import Path

from overfit_tui.core.errors import OverfitError
from overfit_tui.studies.base import ExecContext

BATCH_S = 0.25  # events are sent to the driver at most this often
CANCEL_POLL_S = 0.5
MAX_RETRIES = 2  # Ray's retries of a task after a system failure
CANCEL_GRACE_S = 5.0  # a started job whose runs are all cancelled is cancelled in Ray after this


def check_address(address: str | None) -> str:
    """`auto`, HOST:PORT or ray://HOST:PORT."""
    a = address or "auto"
    host = a.removeprefix("ray://")
    if a != "auto" and not (":" in host and host.rsplit(":", 1)[1].isdigit() and host.rsplit(":", 1)[0]):
        raise OverfitError(f"--address {a!r}: give auto, HOST:PORT or ray://HOST:10001")
    return a


class RemoteContext(ExecContext):
    """The ExecContext of a Ray task: events and outcomes go to the driver's sink, in batches."""

    def __init__(self, sink, run_ids: list[str], device: str, data_dir: Path, cache_dir: Path, download: bool):
        super().__init__(device, data_dir, cache_dir, download)
        self.sink, self.ids, self.token = sink, run_ids, uuid.uuid4().hex  # the token tells a retry apart
        self.node = socket.gethostname()
        self.buf: list[tuple] = []
        self.sent = time.monotonic()
        self.ended: set[int] = set()
        self._checked, self._cancelled = 0.0, set()

    def send(self, msg: tuple, now: bool = False) -> None:
        self.buf.append(msg)
        if now or time.monotonic() - self.sent > BATCH_S:
            self.flush()

    def flush(self, wait: bool = False) -> None:
        import ray

        if self.buf:
            ref = self.sink.put.remote(self.buf)
            self.buf = []
            if wait:
                ray.get(ref)  # the driver sees every event before it sees the task end
        self.sent = time.monotonic()

    def started(self, i: int) -> None:
        from overfit_tui.engine.provenance import provenance

        prov = {**provenance(self.device), "node": self.node, "backend": "ray", "pid": os.getpid()}
        where = f"{self.node}/{self.device}"[-64:]
        self.send(("started", self.ids[i], self.token, where, prov, time.time()), now=True)

    def emit(self, i: int, event) -> None:
        from overfit_tui.core.events import event_to_dict

        self.send(("event", self.ids[i], self.token, event_to_dict(event)))

    def finish(self, i: int, status: str, summary: dict) -> None:
        self.ended.add(i)
        self.send(("finish", self.ids[i], self.token, status, summary, time.time()), now=True)

    def member_cancelled(self, i: int) -> bool:
        import ray

        if time.monotonic() - self._checked > CANCEL_POLL_S:
            self._checked = time.monotonic()
            self._cancelled = ray.get(self.sink.cancelled.remote())
        return self.ids[i] in self._cancelled


def task_body(sink, run_ids: list[str], specs: list[dict], gpu: bool, data_dir: str, download: bool) -> str:
    """What a Ray task runs on its node: the job's study, as a local worker would. Returns the node."""
    from overfit_tui.engine.data import is_available
    from overfit_tui.engine.device import configure_threads
    from overfit_tui.studies import get_study
    from overfit_tui.studies.groups import run_spec_from_dict

    device = "cuda:0" if gpu else "cpu"  # Ray sets CUDA_VISIBLE_DEVICES to the GPU it assigned
    if not gpu:
        configure_threads(1)  # the task's one CPU (and the local backend's thread count on 2 cores)
    cache = Path(data_dir) if Path(data_dir).is_dir() else Path(tempfile.gettempdir()) / "overfit-tui-ray-cache"
    cache.mkdir(parents=True, exist_ok=True)
    ctx = RemoteContext(sink, run_ids, device, Path(data_dir), cache, download)
    try:
        run_specs = [run_spec_from_dict(s) for s in specs]
        name = run_specs[0].data.name
        if not download and not is_available(name, Path(data_dir)):
            raise OverfitError(
                f"{name} is not in {data_dir} on node {ctx.node}: with --backend ray the --data-dir "
                "must hold it on every node (or pass --download)"
            )
        get_study(run_specs[0].study).execute(run_specs, ctx)
    except Exception as e:
        tb = traceback.format_exc()
        why = str(e) if isinstance(e, OverfitError) else tb
        for i, rid in enumerate(run_ids):
            if i not in ctx.ended:
                ctx.send(("failed", rid, ctx.token, why))
    finally:
        ctx.flush(wait=True)
    return ctx.node


def _sink_class():
    import ray

    @ray.remote(num_cpus=0)
    class Sink:
        """The driver's mailbox: tasks put batches of events, the driver takes them; cancelled run ids."""

        def __init__(self):
            self.items: list = []
            self.cancel_ids: set[str] = set()

        def put(self, batch: list) -> None:
            self.items.extend(batch)

        def take(self) -> list:
            out, self.items = self.items, []
            return out

        def cancel(self, ids: list[str]) -> None:
            self.cancel_ids |= set(ids)

        def cancelled(self) -> set[str]:
            return self.cancel_ids

    return Sink


class RayJobs:
    """The driver side, inside the home's scheduler: submits jobs, writes what the sink brings back."""

    def __init__(self, store, address: str):
        import ray

        self.store, self.address = store, address
        try:
            ray.init(address=None if address == "local" else address, logging_level="ERROR", log_to_driver=False)
        except Exception as e:  # no cluster there: one line for every run that asked for it
            raise OverfitError(
                f"no Ray cluster at {address} ({str(e).splitlines()[0][:200]}): start one with `ray start --head`"
            ) from None
        self.sink = _sink_class().remote()
        self.remote = ray.remote(task_body)
        self.jobs: dict = {}  # ObjectRef -> (run ids, group, submitted at, started?)
        self.writers: dict[str, object] = {}
        self.tokens: dict[str, str] = {}
        self.cancel_seen: set[str] = set()

    def capacity(self) -> int:
        import ray

        return max(1, int(ray.cluster_resources().get("CPU", 1))) - len(self.jobs)

    def submit(self, job, data_dir: str, gpu_share: float | None) -> None:
        specs = [self.store.get_run(r)["spec"] for r in job.runs]
        opts = {"num_cpus": 1, "max_retries": MAX_RETRIES}
        if gpu_share:
            opts["num_gpus"] = gpu_share
        ref = self.remote.options(**opts).remote(self.sink, job.runs, specs, bool(gpu_share), data_dir, job.download)
        self.jobs[ref] = [job.runs, job.group, time.monotonic(), None]

    def poll(self) -> None:
        import ray

        ready = ray.wait(list(self.jobs), num_returns=len(self.jobs), timeout=0)[0] if self.jobs else []
        for msg in ray.get(self.sink.take.remote()):
            self._handle(msg)
        for ref in ready:
            runs, *_ = self.jobs.pop(ref)
            try:
                ray.get(ref)
                why, status = "the Ray task ended without recording this run", "lost"
            except ray.exceptions.TaskCancelledError:
                why, status = None, "cancelled"
            except ray.exceptions.RayError as e:  # a node or worker died, after max_retries
                why, status = f"Ray task failed after {MAX_RETRIES} retries: {str(e).splitlines()[0][:300]}", "lost"
            for rid in runs:
                self._end(rid, ("queued", "running"), status=status, error=why)
        self._cancels()

    def _cancels(self) -> None:
        import ray

        status: dict[str, str] = {}
        for gid in {v[1] for v in self.jobs.values()}:
            status.update((r["id"], r["status"]) for r in self.store.runs(gid))
        for ref, (runs, _, _, started) in list(self.jobs.items()):
            gone = {
                rid
                for rid in runs
                if status.get(rid) not in ("queued", "running") or (self.store.home.run_dir(rid) / "cancel").exists()
            }
            if gone - self.cancel_seen:
                self.sink.cancel.remote(sorted(gone))
                self.cancel_seen |= gone
            if gone >= set(runs) and (started is None or time.monotonic() - started > CANCEL_GRACE_S):
                ray.cancel(ref)

    def _handle(self, msg: tuple) -> None:
        kind, rid, token = msg[:3]
        mine = lambda r: r.get("pid") == os.getpid()
        if kind == "started":
            if self.tokens.get(rid) not in (None, token):  # a retry: its curves start again
                w = self.writers.pop(rid, None)
                if w is not None:
                    w.close()
                self.store.metrics_path(rid).unlink(missing_ok=True)
            self.tokens[rid] = token
            self.store.transition(
                rid,
                ("queued", "running"),
                only_if=mine,
                status="running",
                device=msg[3],
                started=msg[5],
                provenance=msg[4],
            )
            for v in self.jobs.values():
                if rid in v[0] and v[3] is None:
                    v[3] = time.monotonic()
        elif self.tokens.get(rid, token) != token:
            return  # a late batch of an attempt that was retried
        elif kind == "event":
            w = self.writers.get(rid)
            if w is None:
                from overfit_tui.store.metrics import MetricWriter

                w = self.writers[rid] = MetricWriter(self.store.metrics_path(rid))
            w.write(msg[3])
        elif kind == "finish":
            self._end(rid, ("running",), status=msg[3], summary=msg[4], error=None, ended=msg[5])
        elif kind == "failed":
            self._end(rid, ("queued", "running"), status="failed", error=msg[3])

    def _end(self, rid: str, allowed: tuple, **fields) -> None:
        w = self.writers.pop(rid, None)
        if w is not None:
            w.close()
        fields.setdefault("ended", time.time())
        self.store.transition(rid, allowed, only_if=lambda r: r.get("pid") == os.getpid(), **fields)

    def close(self) -> None:
        import ray

        ray.shutdown()
