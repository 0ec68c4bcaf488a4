"""Converting a single-file store (HOME/store.json, before the per-group layout) into group
files: each group record and each run goes to the file of its group; a record without a
usable group id (damaged, or not a record at all) goes to the store's file of unsorted
records, where `problems()` reports it and `rm` removes it, as before.

The conversion is idempotent: run again after a crash half-way, it adds only what is not
there yet, so the old file is set aside only once everything in it is in the new layout.
"""

from __future__ import annotations

from overfit_tui.core.ids import is_id
from overfit_tui.store.schema import usable_id

LOOSE = ""  # the key of the unsorted records in `partition`'s result


def group_of(rec, table: str) -> str | None:
    """The group a stored record belongs to: a group record's own id, a run's `group`; None if unusable."""
    if not isinstance(rec, dict):
        return None
    gid = rec.get("id") if table == "groups" else rec.get("group")
    return gid if is_id(gid) else None


def partition(tables: dict) -> dict[str, dict]:
    """{group id: {"groups": {...}, "runs": {...}}} of a store's tables; LOOSE holds the records of no usable group."""
    out: dict[str, dict] = {}
    for table in ("groups", "runs"):
        for rec in tables.get(table, {}).values():
            gid = group_of(rec, table) or LOOSE
            t = out.setdefault(gid, {"groups": {}, "runs": {}})[table]
            t[str(len(t) + 1)] = rec
    return out


def merge(into: dict | None, new: dict, known_ids: set[str]) -> tuple[dict, int]:
    """`into` (a group file's tables, or None) plus the records of `new` it lacks; returns (tables, added).

    A run whose id is in `known_ids` (anywhere in the store) is not added twice; a group record
    only if the file has none; a record with no usable id only if an equal one is not there."""
    tables = {"groups": dict((into or {}).get("groups", {})), "runs": dict((into or {}).get("runs", {}))}
    added = 0
    for table in ("groups", "runs"):
        t = tables[table]
        have = list(t.values())
        next_id = max((int(k) for k in t if k.isdecimal()), default=0) + 1
        for rec in new.get(table, {}).values():
            rid = usable_id(rec)
            if table == "groups" and rid and any(usable_id(g) == rid for g in have):
                continue
            if table == "runs" and rid and rid in known_ids:
                continue
            if not rid and rec in have:
                continue
            t[str(next_id)] = rec
            next_id += 1
            have.append(rec)
            added += 1
            if table == "runs" and rid:
                known_ids.add(rid)
    return tables, added
