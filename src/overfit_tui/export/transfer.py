"""Moving runs between stores: gathering a comparison to export, and importing an exported JSON.

An import is checked whole before anything is written: the file (a regular file of at
most IMPORT_MAX bytes, UTF-8 JSON, bounded nesting), its shape, every record against the
record schema (store/schema.py) and its spec against its study, every event, and ids
unique in the file. One bad record rejects the file, naming the record, the field and the
reason. Runs already in the store are skipped. Runs that were queued or running where
they were exported arrive ended, as imported (`Status.IMPORTED`): nothing here would ever finish them.
Numbers that are not finite (NaN, 1e999) become null, as the JSON export writes them.
"""

from __future__ import annotations

import json
import math
import os
import time
from pathlib import Path

from overfit_tui.core.errors import ImportRejected, OverfitError, PresetError, SpecError, StoreError, printable, show
from overfit_tui.core.presets import read_text_file
from overfit_tui.core.spec import check_depth
from overfit_tui.core.status import Status
from overfit_tui.export.compare import Comparison
from overfit_tui.store import Store
from overfit_tui.store.metrics import read_metrics_counted
from overfit_tui.store.schema import ACTIVE, RUN_FIELDS, group_record, record_problem
from overfit_tui.store.storage import os_reason
from overfit_tui.studies.groups import run_spec_from_dict

FORMAT = "overfit-tui-export/1"
IMPORT_MAX = 256 << 20  # bytes: far above any real export (a 100-run comparison is a few MB)
DEPTH = 12  # nesting of an export: payload > runs > record > spec > params > list
INT_LIMIT = 2**63


def load_comparison(store: Store, refs: list[str]):
    """The runs named by `refs` (ids, group ids or unique prefixes) with their events."""

    records, seen = [], set()
    for ref in refs:
        for r in store.resolve(ref):
            if r.id not in seen:
                seen.add(r.id)
                records.append(r)
    events, skipped = {}, 0
    for r in records:
        events[r.id], bad = read_metrics_counted(store.metrics_path(r.id), not r.status.active)
        skipped += bad
    return Comparison(records, events, skipped)


def _finite_or_null(s: str):
    f = float(s)
    return f if math.isfinite(f) else None


def read_export(path: Path) -> list[tuple[dict, list[dict]]]:
    """The (record, events) pairs of an export file, every one checked; ImportRejected otherwise."""
    where = printable(path, 200)
    try:
        text = read_text_file(Path(path), IMPORT_MAX, "export file")
    except PresetError as e:
        raise ImportRejected(f"{e}; nothing was imported") from None
    try:
        payload = json.loads(text, parse_constant=lambda _: None, parse_float=_finite_or_null)
    except json.JSONDecodeError as e:
        raise ImportRejected(f"{where}: not JSON ({e}); nothing was imported") from None
    except (RecursionError, ValueError) as e:  # ValueError: an integer of thousands of digits
        raise ImportRejected(f"{where}: not an overfit-tui export ({printable(e, 80)}); nothing was imported") from None
    fail = lambda what, reason: ImportRejected(f"{where}: {what}: {reason}; nothing was imported")
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        fmt = payload.get("format") if isinstance(payload, dict) else None
        raise fail("format", f"not an overfit-tui export (expected '{FORMAT}', got {show(fmt)})")
    try:
        check_depth(payload, limit=DEPTH)
    except SpecError as e:
        raise fail(e.key, e.reason) from None
    items = payload.get("runs")
    if not isinstance(items, list):
        raise fail("runs", f"expected a list of runs, got {show(items)}")
    out, seen = [], {}
    for i, item in enumerate(items):
        rec, events = _check_item(item, f"run {i}", fail)
        if rec["id"] in seen:
            raise fail(f"run {i} ('{rec['id']}')", f"the same id as run {seen[rec['id']]}")
        seen[rec["id"]] = i
        out.append((rec, events))
    return out


def _check_item(item, what: str, fail) -> tuple[dict, list[dict]]:

    if not isinstance(item, dict) or not isinstance(item.get("record"), dict):
        raise fail(what, "expected a table with a 'record' table and an 'events' list")
    rec = item["record"]
    if isinstance(rec.get("id"), str):
        what = f"{what} ('{printable(rec['id'], 80)}')"
    problem = record_problem(rec)
    if problem:
        raise fail(what, f"field '{problem[0]}': {problem[1]}")
    bad = _big_number(rec)
    if bad:
        raise fail(what, f"field '{bad}': an integer beyond 64 bits")
    try:
        spec = run_spec_from_dict(rec["spec"])
    except SpecError as e:
        raise fail(what, f"field 'spec.{e.key}': {e.reason}") from None
    except (KeyError, TypeError, ValueError, OverfitError) as e:
        raise fail(what, f"field 'spec': not a run spec ({printable(e, 80)})") from None
    if spec.study != rec["study"]:
        raise fail(what, f"field 'study': {show(rec['study'])} but its spec is a {spec.study} run")
    events = item.get("events", [])
    if not isinstance(events, list):
        raise fail(what, f"field 'events': expected a list, got {show(events)}")
    for j, ev in enumerate(events):
        if not isinstance(ev, dict) or not isinstance(ev.get("kind"), str):
            raise fail(what, f"event {j}: expected a table with a 'kind', got {show(ev)}")
        bad = _big_number(ev)
        if bad:
            raise fail(what, f"event {j}: field '{bad}': an integer beyond 64 bits")
    clean = {k: rec[k] for k in RUN_FIELDS if k in rec}
    clean.update(pid=None, log=None)  # a process and a path on another machine mean nothing here
    if clean["status"] in ACTIVE:
        host = (rec.get("provenance") or {}).get("host", "another machine")
        clean.update(
            status=Status.IMPORTED,
            ended=clean.get("ended") or time.time(),
            error=f"was {clean['status']} on {host} when exported; imported as it was then",
        )
    return clean, events


def _big_number(value, key: str = "") -> str | None:
    """The key of the first integer beyond 64 bits in `value`, or None."""
    stack = [(value, key)]
    while stack:
        v, k = stack.pop()
        if isinstance(v, int) and not isinstance(v, bool) and abs(v) >= INT_LIMIT:
            return k or "value"
        if isinstance(v, dict):
            stack += [(sub, f"{k}.{name}" if k else str(name)) for name, sub in v.items()]
        elif isinstance(v, list):
            stack += [(sub, f"{k}[{i}]") for i, sub in enumerate(v)]
    return None


def import_json(store: Store, path: Path) -> tuple[int, int]:
    """Add the exported runs (records and curves); runs already in the store are skipped.
    Returns (added, skipped). The whole file is checked first: a bad one writes nothing."""
    items = read_export(path)
    with store.transaction():
        known = store.stored_ids([rec["id"] for rec, _ in items])
        new = [(rec, evs) for rec, evs in items if rec["id"] not in known]
        new_groups: dict[str, dict] = {}
        written: list[Path] = []
        try:
            for rec, events in new:
                written.append(store.metrics_path(rec["id"]))
                _write_metrics(written[-1], events)
                new_groups.setdefault(rec["group"], _group_of(rec, path))
        except BaseException:
            for m in written:  # no record owns these curves yet: a failed import leaves none behind
                m.unlink(missing_ok=True)
            raise
        store.add_runs([rec for rec, _ in new], groups=list(new_groups.values()))  # a group record where none is
    return len(new), len(items) - len(new)


def _group_of(rec: dict, path: Path) -> dict:
    g = group_record(rec["group"], rec["group"], rec["study"], rec.get("preset"), {}, None, imported_from=str(path))
    g["created"] = rec["created"]
    return g


def _write_metrics(path: Path, events: list[dict]) -> None:
    """A run's metrics file, whole or not at all (temporary file, then rename); a full disk or a
    read-only home is a StoreError naming the file."""
    tmp = path.with_name(f".{path.name}.import.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "w", encoding="utf-8") as f:
            for ev in events:
                f.write(json.dumps(ev, allow_nan=False) + "\n")
        os.replace(tmp, path)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise StoreError(f"cannot write {path}: {os_reason(e)}") from None
