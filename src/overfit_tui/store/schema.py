"""The record schema: what a stored run or group record must hold, checked field by field,
and the one builder of group records.

The store's readers skip (and report) a record that fails it instead of failing every
command; `import` rejects a file whose records fail it. The statuses live here too.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from overfit_tui.core.errors import show
from overfit_tui.core.ids import id_problem
from overfit_tui.core.status import ACTIVE, ENDED, STATES  # noqa: F401 (re-exported to the store's readers)

TIME_MAX = 1e11  # seconds since 1970: year 5138; a larger time stamp is garbage
TEXT_MAX = 1_000_000  # characters of an error traceback or a note


@dataclass(frozen=True)
class BadRecord:
    """A stored record that does not fit the schema: where it is and why."""

    table: str  # "runs" or "groups"
    doc_id: str  # its key in the store file
    id: str | None  # its id when it has a usable one (`rm ID` then removes it)
    field: str
    reason: str
    where: str | None = None  # the file that holds it

    def __str__(self) -> str:
        name = f"'{self.id}'" if self.id else f"#{self.doc_id} (no usable id)"
        return f"{self.table[:-1]} {name}: field '{self.field}': {self.reason}"


def _time(v) -> str | None:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or not 0 <= v <= TIME_MAX:
        return f"expected a time stamp (seconds since 1970), got {show(v)}"
    return None


def _str(limit: int):
    def check(v) -> str | None:
        if not isinstance(v, str):
            return f"expected a string, got {show(v)}"
        return None if len(v) <= limit else f"longer than {limit:,} characters"

    return check


def _opt(check):
    return lambda v: None if v is None else check(v)


def _dict(v) -> str | None:
    return None if isinstance(v, dict) else f"expected a table, got {show(v)}"


def _int(v) -> str | None:
    ok = isinstance(v, int) and not isinstance(v, bool) and 0 <= v < 2**63
    return None if ok else f"expected a non-negative integer, got {show(v)}"


def _signed(limit: int):
    def check(v) -> str | None:
        ok = isinstance(v, int) and not isinstance(v, bool) and -limit <= v <= limit
        return None if ok else f"expected a whole number from -{limit} to {limit}, got {show(v)}"

    return check


def _status(v) -> str | None:
    return None if v in STATES else f"unknown status {show(v)} (one of {', '.join(STATES)})"


def _tags(v) -> str | None:
    if not isinstance(v, list) or not all(isinstance(t, str) and 0 < len(t) <= 64 for t in v):
        return f"expected a list of tags (strings of 1-64 characters), got {show(v)}"
    return None


# field -> (required, check); checks return a reason or None
RUN_FIELDS = {
    "id": (True, id_problem),
    "group": (True, id_problem),
    "study": (True, _str(64)),
    "label": (True, _str(500)),
    "status": (True, _status),
    "spec": (True, _dict),
    "created": (True, _time),
    "index": (False, _int),
    "job": (False, _int),
    "preset": (False, _opt(_str(500))),
    "spec_hash": (False, _opt(_str(64))),
    "pid": (False, _opt(_int)),
    "device": (False, _opt(_str(64))),
    "started": (False, _opt(_time)),
    "ended": (False, _opt(_time)),
    "summary": (False, _opt(_dict)),
    "provenance": (False, _opt(_dict)),
    "error": (False, _opt(_str(TEXT_MAX))),
    "tags": (False, _tags),
    "notes": (False, _str(TEXT_MAX)),
    "log": (False, _opt(_str(4096))),
    "dispatched": (False, _opt(_time)),  # when the home's queue handed it to a worker or to Ray
    "ray": (False, lambda v: None if isinstance(v, bool) else f"expected true or false, got {show(v)}"),
}

GROUP_FIELDS = {
    "id": (True, id_problem),
    "study": (True, _str(64)),
    "created": (True, _time),
    "name": (False, _str(500)),
    "preset": (False, _opt(_str(500))),
    "spec": (False, _dict),
    "scheduler_pid": (False, _opt(_int)),
    "priority": (False, _opt(_signed(1000))),  # the home's queue starts higher priorities first
    "launch": (False, _opt(_dict)),  # how its jobs run: devices, per_device, data_dir, download, backend
    "ended": (False, _opt(_time)),
    "tags": (False, _tags),
    "notes": (False, _str(TEXT_MAX)),
}


def record_problem(rec, fields: dict = RUN_FIELDS) -> tuple[str, str] | None:
    """(field, reason) for the first field of `rec` that breaks the schema, or None."""
    if not isinstance(rec, dict):
        return "record", f"expected a table, got {show(rec)}"
    for name, (required, check) in fields.items():
        if name not in rec:
            if required:
                return name, "missing"
            continue
        reason = check(rec[name])
        if reason:
            return name, reason
    return None


def usable_id(rec) -> str | None:
    """The record's id if it is a valid one (so `rm ID` can name it), else None."""
    rid = rec.get("id") if isinstance(rec, dict) else None
    return rid if id_problem(rid) is None else None


def group_record(
    gid: str, name: str, study: str, preset: str | None, spec: dict, spec_hash: str | None, **extra
) -> dict:
    """A group record (a launch, a restart or an import); `gid` must be a fresh, valid id."""
    return {
        "id": gid,
        "name": name,
        "study": study,
        "preset": preset,
        "spec": spec,
        "spec_hash": spec_hash,
        "created": time.time(),
        "scheduler_pid": None,
        "tags": [],
        "notes": "",
        **extra,
    }
