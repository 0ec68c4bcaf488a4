"""What the store holds about a run, typed: `RunRecord` (frozen; its status a `Status`, its spec
the same typed `RunSpec` that went in) and `RunEvent` (one line of a run's metrics log).

`RunRecord.from_dict` reads a stored record of this or an older version: fields added since
(the queue's `dispatched`, `ray`, `log`, `job`, `tags`, `notes`, ...) take their defaults, so a
record written before them loads; `to_dict` writes the current format, and a current record
round-trips unchanged. The schema check (store/schema.py) runs before: `from_dict` trusts the
types of the fields it is given.

The spec is parsed on first use and kept: a listing of 10,000 runs reads ids, statuses and
summaries, never specs (validating one costs milliseconds). Its `params` stay the stored table:
a study's RunParams class lives above core (`studies.groups.run_spec_from_dict` types them).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from typing import Any

from overfit_tui.core.spec import from_dict as spec_from_dict
from overfit_tui.core.specs import DataSpec, ModelSpec, RunSpec, Seeds, TrainSpec
from overfit_tui.core.status import Status


@dataclass(frozen=True, eq=True)
class RunRecord:
    """One stored run: what it is (spec), where it stands (status, times, device) and what it gave."""

    id: str
    group: str
    study: str
    label: str
    status: Status
    spec_data: dict  # the spec as stored (`spec` is it typed)
    created: float  # seconds since 1970
    index: int = 0  # its place in the group's expansion
    job: int = 0  # the training job (several runs may train as one job)
    preset: str | None = None
    spec_hash: str | None = None
    pid: int | None = None  # its worker's process id while it runs
    device: str | None = None
    started: float | None = None
    ended: float | None = None
    summary: dict = field(default_factory=dict)  # the study's declared summary fields
    provenance: dict = field(default_factory=dict)  # versions, device, host (STYLE habit 4)
    error: str | None = None  # why it failed (the traceback's text)
    tags: tuple[str, ...] = ()
    notes: str = ""
    log: str | None = None  # its worker's log file
    dispatched: float | None = None  # when the home's queue handed it to a worker or to Ray
    ray: bool = False  # trained as a Ray task

    @classmethod
    def from_dict(cls, d: dict) -> RunRecord:
        """A stored record (this format or an older one) as a RunRecord."""
        kw = {k: d[k] for k in FIELDS if k in d and (d[k] is not None or k in NULLABLE)}
        kw["status"] = Status(d["status"])
        if "job" not in d:  # before jobs were recorded, each run trained as its own job
            kw["job"] = d.get("index", 0)
        kw["spec_data"] = d["spec"]
        kw["tags"] = tuple(d.get("tags") or ())
        kw["summary"] = dict(d.get("summary") or {})
        kw["provenance"] = dict(d.get("provenance") or {})
        return cls(**kw)

    def to_dict(self) -> dict:
        """The stored form (the current format)."""
        out = {f: getattr(self, f) for f in FIELDS}
        out["status"] = str(self.status)
        out["spec"] = self.spec_data
        out["tags"] = list(self.tags)
        if not self.ray:
            del out["ray"]  # written only for Ray runs, as the scheduler always has
        return out

    @cached_property
    def spec(self) -> RunSpec:
        """The typed spec (its `params` the stored table; see the module's docstring)."""
        d = self.spec_data
        return RunSpec(
            study=d["study"],
            label=d["label"],
            data=spec_from_dict(DataSpec, d.get("data"), "data."),
            model=spec_from_dict(ModelSpec, d.get("model"), "model."),
            train=spec_from_dict(TrainSpec, d.get("train"), "train."),
            seeds=spec_from_dict(Seeds, d.get("seeds"), "seeds."),
            params=dict(d.get("params") or {}),
        )

    @property
    def active(self) -> bool:
        return self.status.active

    @property
    def ended_ok(self) -> bool:
        return self.status is Status.FINISHED

    def replace(self, **changes: Any) -> RunRecord:
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True)
class GroupRecord:
    """One stored group: what was launched (its spec as stored), how (launch settings, priority)
    and what it is to the user (name, tags, notes). Keys this version does not name stay in `extra`."""

    id: str
    study: str
    created: float  # seconds since 1970
    name: str = ""
    preset: str | None = None
    spec_data: dict = field(default_factory=dict)  # the group's spec as stored ({} for an import)
    spec_hash: str | None = None
    scheduler_pid: int | None = None
    priority: int | None = None  # the home's queue starts higher priorities first
    launch: dict = field(default_factory=dict)  # devices, per_device, data_dir, download, backend, address
    ended: float | None = None
    tags: tuple[str, ...] = ()
    notes: str = ""
    restart_of: tuple[str, ...] = ()  # the runs a restart group redoes
    extra: dict = field(default_factory=dict)  # stored keys not named above (preset_path, imported_from, ...)

    @classmethod
    def from_dict(cls, d: dict) -> GroupRecord:
        """A stored group record (this format or an older one) as a GroupRecord."""
        kw = {k: d[k] for k in GROUP_FIELDS if k in d and d[k] is not None}
        kw["spec_data"] = dict(d.get("spec") or {})
        kw["launch"] = dict(d.get("launch") or {})
        kw["tags"] = tuple(d.get("tags") or ())
        kw["restart_of"] = tuple(d.get("restart_of") or ())
        for k in ("preset", "spec_hash", "scheduler_pid", "priority", "ended"):
            kw[k] = d.get(k)
        kw["extra"] = {k: v for k, v in d.items() if k not in GROUP_FIELDS and k != "spec"}
        return cls(**kw)

    def to_dict(self) -> dict:
        """The stored form: the keys it was read with (fields set since included)."""
        out = {f: getattr(self, f) for f in GROUP_FIELDS if f not in ("launch", "restart_of")}
        for k in ("priority", "ended"):  # set by later writes (a queue priority, the group's end)
            if out[k] is None:
                del out[k]
        out["spec"] = self.spec_data
        out["tags"] = list(self.tags)
        if self.launch:
            out["launch"] = self.launch
        if self.restart_of:
            out["restart_of"] = list(self.restart_of)
        return {**out, **self.extra}


GROUP_FIELDS = tuple(f.name for f in dataclasses.fields(GroupRecord) if f.name not in ("spec_data", "extra"))

# the stored keys but "spec" (stored from `spec_data`)
FIELDS = tuple(f.name for f in dataclasses.fields(RunRecord) if f.name != "spec_data")
NULLABLE = ("preset", "spec_hash", "pid", "device", "started", "ended", "error", "log", "dispatched")


class EventKind(StrEnum):
    """What a metrics line is: a training step's mean loss, a full evaluation, or a study's point."""

    STEP = "step"
    EVAL = "eval"
    POINT = "point"


@dataclass(frozen=True)
class RunEvent:
    """One line of a run's metrics log: its kind, its step (None for a study's point) and its values."""

    kind: EventKind | str  # a kind this version does not know stays the stored string
    step: int | None
    values: dict  # every other key: epoch, losses, accuracies, wall, a point's name, x and values

    @classmethod
    def from_dict(cls, d: dict) -> RunEvent:
        kind = d["kind"]
        kind = EventKind(kind) if kind in EventKind._value2member_map_ else kind
        return cls(kind, d.get("step"), {k: v for k, v in d.items() if k not in ("kind", "step")})

    def to_dict(self) -> dict:
        out: dict = {"kind": str(self.kind)}
        if self.step is not None:
            out["step"] = self.step
        return {**out, **self.values}

    def get(self, key: str, default: Any = None) -> Any:
        return self.step if key == "step" else self.values.get(key, default)
