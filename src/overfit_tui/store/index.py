"""The store's index: one small entry per group (study, name, times, status counts, run ids,
tags), so that listing, filtering and finding a run cost what the groups concerned cost.

The group files are the truth; the index is derived from them (`group_entry`) and can always
be rebuilt. The store keeps it exact where readers rely on it without opening a group:
- every run id of a group is listed (possibly one more, for a moment, never one less);
- a group with queued or running runs is marked active (`active` > 0);
- the counts, tags and times of a group that is not active are exact, and its entry holds
  the signature (`storage.file_sig`) of the group file it was computed from.
An active group's counts are those of when it became active: readers that need them open its
file (active groups are few). So a status change inside an active group writes its group
file only, never the index.
"""

from __future__ import annotations

import json
from pathlib import Path

from overfit_tui.core.errors import StoreError
from overfit_tui.store.schema import ACTIVE, GROUP_FIELDS, record_problem, usable_id
from overfit_tui.store.storage import atomic_write, read_regular_sig

VERSION = 1


def group_entry(tables: dict | None) -> dict:
    """The index entry of a group file's tables ({"group": {...}, "runs": {...}})."""
    tables = tables or {}
    grec = next((g for g in tables.get("group", {}).values() if record_problem(g, GROUP_FIELDS) is None), None)
    counts: dict[str, int] = {}
    ids, tags, bad = [], set(), 0
    study, first, last = None, None, None
    for rec in tables.get("runs", {}).values():
        rid = usable_id(rec)
        if rid:
            ids.append(rid)
        if record_problem(rec) is not None:
            bad += 1
            continue
        counts[rec["status"]] = counts.get(rec["status"], 0) + 1
        tags.update(rec.get("tags") or ())
        study = study or rec["study"]
        first = rec["created"] if first is None else min(first, rec["created"])
        last = rec["created"] if last is None else max(last, rec["created"])
    bad += sum(record_problem(g, GROUP_FIELDS) is not None for g in tables.get("group", {}).values())
    created = grec["created"] if grec else (first or 0.0)
    return {
        "study": grec["study"] if grec else study,
        "name": grec.get("name") if grec else None,
        "created": created,
        "last": max(last or created, created),
        "counts": counts,
        "active": sum(counts.get(s, 0) for s in ACTIVE),
        "ids": " ".join(ids),  # one string: 10,000 ids parse in a fraction of the time of a list
        "tags": sorted(tags),
        "bad": bad,
        "sig": None,
    }


def entry_ids(entry: dict) -> list[str]:
    return entry["ids"].split()


def read_index(path: Path) -> tuple[dict[str, dict], tuple[int, int, int]] | None:
    """({group id: entry}, signature of the file read); None if there is no index; StoreError if it is damaged."""
    got = read_regular_sig(path)
    if got is None:
        return None
    raw, sig = got
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise StoreError(f"{path} does not parse") from None
    groups = data.get("groups") if isinstance(data, dict) else None
    if not isinstance(groups, dict) or data.get("version") != VERSION:
        raise StoreError(f"{path} is not a store index (version {VERSION})")
    for gid, e in groups.items():
        if not _entry_ok(e):
            raise StoreError(f"{path}: the entry of group '{gid}' is not an index entry")
    return groups, sig


def _entry_ok(e) -> bool:
    return (
        isinstance(e, dict)
        and isinstance(e.get("ids"), str)
        and isinstance(e.get("counts"), dict)
        and isinstance(e.get("active"), int)
        and isinstance(e.get("bad"), int)
        and isinstance(e.get("created"), (int, float))
        and isinstance(e.get("last"), (int, float))
        and isinstance(e.get("tags"), list)
        and (e.get("sig") is None or (isinstance(e["sig"], list) and len(e["sig"]) == 3))
    )


def write_index(path: Path, groups: dict[str, dict]) -> None:
    atomic_write(path, json.dumps({"version": VERSION, "groups": groups}, separators=(",", ":")))
