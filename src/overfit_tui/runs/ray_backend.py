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

Connecting (`connect`) is bounded: `auto` joins this machine's cluster or, when none answers,
starts a local instance (as `ray.init()` does) and says so; an explicit address that accepts no
connection within CONNECT_S fails the runs with the reason, in one line. A head that stops
answering for HEAD_LOST_S (watched from a thread) ends the submitted runs lost.
"""

from __future__ import annotations

import os
import socket
import tempfile
import time
import traceback
import uuid
from pathlib import Path

from overfit_tui.core.config import env_number
from overfit_tui.core.errors import OverfitError
from overfit_tui.core.events import event_to_dict
from overfit_tui.core.status import Status
from overfit_tui.engine.provenance import provenance
from overfit_tui.store.metrics import MetricWriter
from overfit_tui.studies import get_study
from overfit_tui.studies.groups import run_spec_from_dict
from overfit_tui.studies.shared.context import ExecContext

BATCH_S = 0.25  # events are sent to the driver at most this often
CANCEL_POLL_S = 0.5
MAX_RETRIES = int(
    env_number("OVERFIT_TUI_RAY_RETRIES", 2, 0, 100, integer=True)
)  # Ray's retries after a system failure
CANCEL_GRACE_S = 5.0  # a started job whose runs are all cancelled is cancelled in Ray after this
# how long a Ray head is waited for: nothing listening after this, the runs fail (seconds)
CONNECT_S = env_number("OVERFIT_TUI_RAY_CONNECT_S", 20.0, 0.1, 3600.0)
INIT_S = 60.0  # how long ray.init may take once the head answers (or to start a local instance)
# the head's port silent this long while jobs run: the cluster is gone (seconds)
HEAD_LOST_S = env_number("OVERFIT_TUI_RAY_HEAD_LOST_S", 10.0, 0.1, 3600.0)
LOOPBACK = ("localhost", "::1")


def check_address(address: str | None) -> str:
    """`auto`, HOST:PORT or ray://HOST:PORT."""
    a = address or "auto"
    host = a.removeprefix("ray://")
    if a != "auto" and not (":" in host and host.rsplit(":", 1)[1].isdigit() and host.rsplit(":", 1)[0]):
        raise OverfitError(f"--address {a!r}: give auto, HOST:PORT or ray://HOST:10001")
    return a


class HeadLost(OverfitError):
    """The Ray head stopped answering while this scheduler drove it."""


class Abandoned(OverfitError):
    """No run waits for the connection any more (they were cancelled while it was tried)."""


_stuck = None  # a ray.init thread that ran past INIT_S (it cannot be stopped; the next try waits for it)


def _loopback(host: str) -> bool:
    return host in LOOPBACK or host.startswith("127.")


def _host_port(address: str) -> tuple[str, int]:
    host, port = address.removeprefix("ray://").rsplit(":", 1)
    return host.strip("[]"), int(port)


def _answers(address: str) -> bool:
    """Something accepts a TCP connection at HOST:PORT (a Ray head's GCS, or a Ray Client server)."""
    try:
        with socket.create_connection(_host_port(address), timeout=1.0):
            return True
    except OSError:
        return False


def _wait_answers(address: str, wanted, seconds: float | None = None) -> bool:
    """Probe until something answers (True), `seconds` (CONNECT_S) pass (False) or no run wants it (Abandoned)."""
    deadline = time.monotonic() + (CONNECT_S if seconds is None else seconds)
    while True:
        if _answers(address):
            return True
        if time.monotonic() > deadline:
            return False
        if not wanted():
            raise Abandoned("every run waiting for Ray was cancelled")
        time.sleep(0.5)


def _ray_target(address: str) -> str | None:
    """The GCS address ray.init dials for `address` (auto: the cluster of this machine, None if none
    runs; a loopback HOST:PORT: rewritten by Ray to this node's IP). Ray's own resolution."""
    from ray._private import services  # a private module: if it moves, the address is tried as given

    try:
        return services.canonicalize_bootstrap_address(address)
    except ConnectionError:  # auto and no Ray instance on this machine
        return None
    except Exception:
        return address if address != "auto" else None


def _init(address: str, wanted, **kw) -> None:
    """ray.init, bounded by INIT_S and given up when no run wants it any more. Ray's own connect
    retries a silent head for minutes and cannot be interrupted: it runs in a thread."""
    import threading

    import ray

    global _stuck
    if _stuck is not None and _stuck.is_alive():
        raise OverfitError(
            f"an earlier Ray connection attempt of this scheduler is still running (over {INIT_S:.0f} s)"
        )
    out: dict = {}

    def go():
        try:
            ray.init(address=address, logging_level="ERROR", log_to_driver=False, **kw)
        except BaseException as e:
            out["error"] = e

    t = threading.Thread(target=go, name="ray-init", daemon=True)
    t.start()
    deadline = time.monotonic() + INIT_S
    while t.is_alive():
        t.join(0.5)
        if t.is_alive() and (time.monotonic() > deadline or not wanted()):
            _stuck = t
            if not wanted():
                raise Abandoned("every run waiting for Ray was cancelled")
            raise OverfitError(f"Ray did not connect within {INIT_S:.0f} s")
    if "error" in out:
        raise OverfitError(str(out["error"]).strip().splitlines()[0][:200] or type(out["error"]).__name__)


def _token_if_any() -> bool:
    """Send Ray's auth token (~/.ray/auth_token, or $RAY_AUTH_TOKEN) when one exists and RAY_AUTH_MODE
    is unset. `ray start --head` turns token auth on when a token exists (an earlier `ray.init()`
    makes one), and Ray itself sends it only for `auto`: an explicit address was refused as
    "Failed to connect to Ray cluster at NODE_IP:PORT" after 20 retries. A head without auth
    ignores the token."""
    try:
        from ray._private.authentication.authentication_token_setup import (
            maybe_enable_token_auth_if_token_available,
        )
    except ImportError:  # a Ray without token auth
        return False
    return maybe_enable_token_auth_if_token_available(warn_if_disabled=False)


def _start_local() -> None:
    """Start a local Ray instance in this process, as `ray.init()` does. On the main thread: Ray ties
    its processes to the thread that started them (they die with it), and Ray bounds its own start."""
    import ray

    try:
        ray.init(address="local", include_dashboard=False, logging_level="ERROR", log_to_driver=False)
    except Exception as e:
        raise OverfitError(f"could not start a local Ray instance: {str(e).strip().splitlines()[0][:200]}") from None


def _cpus() -> int:
    import ray

    return int(ray.cluster_resources().get("CPU", 0))


def connect(address: str, wanted=lambda: True) -> str:
    """Connect this process (the home's scheduler) to Ray for `--address`, within stated bounds.
    Returns one line saying where the jobs go; raises OverfitError with the reason, in one line.

    - `auto`: the Ray cluster of this machine (the one `ray start` recorded, or any running); when
      none runs, or the recorded one does not answer, a local Ray instance is started for this
      scheduler (what `ray.init()` does), and the line says so.
    - `local`: always a local instance.
    - HOST:PORT or ray://HOST:PORT: that cluster. Nothing accepting connections there within
      CONNECT_S fails with the reason (Ray itself would retry a silent head for minutes).
    """
    local = "`ray start --head` keeps one running for every home (then --address auto joins it)"
    if address == "local":
        _start_local()
        return f"Ray: started a local Ray instance ({_cpus()} CPUs) for this home's scheduler"
    if address == "auto":
        target = _ray_target("auto")
        if target is not None and _wait_answers(target, wanted, CONNECT_S / 4):
            try:
                _init("auto", wanted)
            except Abandoned:
                raise
            except OverfitError as e:  # a cluster runs here but refused this scheduler: no second instance
                raise OverfitError(f"could not join the Ray cluster of this machine at {target}: {e}") from None
            return f"Ray: joined the Ray cluster of this machine at {target} ({_cpus()} CPUs)"
        if target is not None:
            why = f"the Ray cluster recorded at {target} does not answer (stopped since `ray start`?)"
        else:
            why = "no Ray cluster runs on this machine"
        _start_local()
        return f"Ray: {why}: started a local Ray instance ({_cpus()} CPUs) for this home's scheduler; {local}"
    target = address if address.startswith("ray://") else (_ray_target(address) or address)
    tried = address if target == address else f"{address} (Ray dials a loopback address as this node's {target})"
    host, port = _host_port(address)
    if not _wait_answers(target, wanted):
        if target != address and _answers(address):
            hint = f"something listens at {address} but not at {target}: for a head on this machine use --address auto"
        else:
            hint = (
                f"start one with `ray start --head --port {port}` (then --address auto finds it), or use --address auto"
            )
        raise OverfitError(
            f"no Ray cluster at {tried}: nothing accepted a connection there in {CONNECT_S:.0f} s; {hint}"
            + (" (it starts a local Ray instance if none runs)" if _loopback(host) else "")
        )
    token = _token_if_any()
    try:
        _init(address, wanted)
    except Abandoned:
        raise
    except OverfitError as e:
        auth = " with Ray's auth token" if token else " without an auth token (is RAY_AUTH_MODE set?)"
        raise OverfitError(
            f"could not join the Ray cluster at {tried}{auth}: {e}; for a head on this machine, --address auto"
        ) from None
    return f"Ray: joined the Ray cluster at {tried} ({_cpus()} CPUs)"


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

        prov = {
            **provenance(self.device, self.data_provenance),
            "node": self.node,
            "backend": "ray",
            "pid": os.getpid(),
        }
        where = f"{self.node}/{self.device}"[-64:]
        self.send(("started", self.ids[i], self.token, where, prov, time.time()), now=True)

    def emit(self, i: int, event) -> None:

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
    from overfit_tui.core.data_files import is_available
    from overfit_tui.engine.device import configure_threads  # lazy: torch, on the Ray node only

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
                ctx.send((Status.FAILED, rid, ctx.token, why))
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

    def __init__(self, store, address: str, wanted=lambda: True):
        import ray

        self.store, self.address = store, address
        self.note = connect(address, wanted)  # one line: where the jobs go (raises OverfitError: why not)
        ctx = ray.get_runtime_context()
        self.head = address if address.startswith("ray://") else getattr(ctx, "gcs_address", None)
        self.silent_since: float | None = None
        self.on_lost = None  # set by watch(): what to do when the head is lost
        self.sink = _sink_class().remote()
        self.remote = ray.remote(task_body)
        self.jobs: dict = {}  # ObjectRef -> (run ids, group, submitted at, started?)
        self.writers: dict[str, object] = {}
        self.tokens: dict[str, str] = {}
        self.cancel_seen: set[str] = set()
        self._take = None  # a sink.take() not yet returned: read again next turn (its items left the sink)

    def capacity(self) -> int:
        import ray

        return max(1, int(ray.cluster_resources().get("CPU", 1))) - len(self.jobs)

    def submit(self, job, data_dir: str, gpu_share: float | None) -> None:
        specs = [self.store.get_run(r).spec_data for r in job.runs]
        opts = {"num_cpus": 1, "max_retries": MAX_RETRIES}
        if gpu_share:
            opts["num_gpus"] = gpu_share
        ref = self.remote.options(**opts).remote(self.sink, job.runs, specs, bool(gpu_share), data_dir, job.download)
        self.jobs[ref] = [job.runs, job.group, time.monotonic(), None]

    def head_alive(self) -> bool:
        """The head's port still answers (checked before Ray calls, which could block on a dead head);
        raises HeadLost once it has been silent HEAD_LOST_S."""
        if not self.head or _answers(self.head):
            self.silent_since = None
            return True
        self.silent_since = self.silent_since or time.monotonic()
        if time.monotonic() - self.silent_since > HEAD_LOST_S:
            raise HeadLost(
                f"lost the Ray cluster: its head at {self.head} stopped answering for {HEAD_LOST_S:.0f} s "
                "(killed, `ray stop`, or its machine went down)"
            )
        return False

    def watch(self, on_lost) -> None:
        """Probe the head every second from a thread of its own: a Ray call of the scheduler's loop
        can block on a dead head until Ray ends the process (60 s), so the loss is acted on here
        (`on_lost(why)`) whatever the loop is doing."""
        import threading

        self.on_lost = on_lost

        def run():
            while True:
                time.sleep(1.0)
                try:
                    self.head_alive()
                except HeadLost as e:
                    on_lost(str(e))
                    return

        threading.Thread(target=run, name="ray-head-watch", daemon=True).start()

    def lose_all(self, why: str) -> list[str]:
        """The head is gone: every run of a submitted job ends lost with `why`, its curves kept."""
        ids = [rid for runs, *_ in list(self.jobs.values()) for rid in runs]
        for rid in ids:
            self._end(rid, (Status.QUEUED, Status.RUNNING), status=Status.LOST, error=why)
        self.jobs.clear()
        return ids

    def poll(self) -> None:
        import ray

        try:
            if not self.head_alive():
                return
        except HeadLost as e:
            if self.on_lost is None:
                raise
            self.on_lost(str(e))  # the scheduler's: ends the runs and this process
            return
        ready = ray.wait(list(self.jobs), num_returns=len(self.jobs), timeout=0)[0] if self.jobs else []
        if self._take is None:
            self._take = self.sink.take.remote()
        try:  # bounded: a slow sink (an overloaded node, an actor still starting) is read at the next turn,
            msgs = ray.get(self._take, timeout=3 * HEAD_LOST_S)  # from the same call: its batch is not lost
            self._take = None
        except ray.exceptions.GetTimeoutError:
            msgs, ready = [], []  # a task's end waits for its messages (its finish may be in that batch)
        for msg in msgs:
            self._handle(msg)
        for ref in ready:
            runs, *_ = self.jobs.pop(ref)
            try:
                ray.get(ref)
                why, status = "the Ray task ended without recording this run", Status.LOST
            except ray.exceptions.TaskCancelledError:
                why, status = None, Status.CANCELLED
            except ray.exceptions.RayError as e:  # a node or worker died, after max_retries
                why, status = (
                    f"Ray task failed after {MAX_RETRIES} retries: {str(e).splitlines()[0][:300]}",
                    Status.LOST,
                )
            for rid in runs:
                self._end(rid, (Status.QUEUED, Status.RUNNING), status=status, error=why)
        self._cancels()

    def _cancels(self) -> None:
        import ray

        status: dict[str, str] = {}
        for gid in {v[1] for v in self.jobs.values()}:
            status.update((r.id, r.status) for r in self.store.runs(gid))
        for ref, (runs, _, _, started) in list(self.jobs.items()):
            gone = {
                rid
                for rid in runs
                if status.get(rid) not in (Status.QUEUED, Status.RUNNING)
                or (self.store.home.run_dir(rid) / "cancel").exists()
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
                (Status.QUEUED, Status.RUNNING),
                only_if=mine,
                status=Status.RUNNING,
                device=msg[3],
                started=msg[5],
                provenance={**msg[4], "ray_cluster": self.note},  # which cluster, or the local instance started
            )
            for v in self.jobs.values():
                if rid in v[0] and v[3] is None:
                    v[3] = time.monotonic()
        elif self.tokens.get(rid, token) != token:
            return  # a late batch of an attempt that was retried
        elif kind == "event":
            w = self.writers.get(rid)
            if w is None:
                w = self.writers[rid] = MetricWriter(self.store.metrics_path(rid))
            w.write(msg[3])
        elif kind == "finish":
            self._end(rid, (Status.RUNNING,), status=msg[3], summary=msg[4], error=None, ended=msg[5])
        elif kind == Status.FAILED:
            self._end(rid, (Status.QUEUED, Status.RUNNING), status=Status.FAILED, error=msg[3])

    def _end(self, rid: str, allowed: tuple, **fields) -> None:
        w = self.writers.pop(rid, None)
        if w is not None:
            w.close()
        fields.setdefault("ended", time.time())
        self.store.transition(rid, allowed, only_if=lambda r: r.get("pid") == os.getpid(), **fields)

    def close(self) -> None:
        import ray

        ray.shutdown()
