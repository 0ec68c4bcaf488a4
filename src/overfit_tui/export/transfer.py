"""Import an exported JSON into a store (sharing comparisons between machines)."""

from __future__ import annotations

import json
from pathlib import Path

from overfit_tui.core.errors import OverfitError
from overfit_tui.store import Store
from overfit_tui.store.metrics import MetricWriter


def load_comparison(store: Store, refs: list[str]):
    from overfit_tui.export.compare import Comparison

    records, seen = [], set()
    for ref in refs:
        for r in store.require_runs(ref):
            if r["id"] not in seen:
                seen.add(r["id"])
                records.append(r)
    return Comparison(records, {r["id"]: store.metrics(r["id"]) for r in records})


def import_json(store: Store, path: Path) -> tuple[int, int]:
    """Add the exported runs (records and curves); runs already in the store are skipped. Returns (added, skipped)."""
    try:
        payload = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise OverfitError(f"{path}: not an overfit-tui export ({e})") from None
    if payload.get("format") != "overfit-tui-export/1":
        raise OverfitError(f"{path}: not an overfit-tui export (format {payload.get('format')!r})")
    known = {r["id"] for r in store.runs()}
    groups = {g["id"] for g in store.groups()}
    added = skipped = 0
    for item in payload["runs"]:
        rec = item["record"]
        if rec["id"] in known:
            skipped += 1
            continue
        if rec["group"] not in groups:
            store.add_group(
                {
                    "id": rec["group"],
                    "name": rec["group"],
                    "study": rec["study"],
                    "preset": rec.get("preset"),
                    "spec": {},
                    "created": rec.get("created"),
                    "scheduler_pid": None,
                    "tags": [],
                    "notes": "",
                    "imported_from": str(path),
                }
            )
            groups.add(rec["group"])
        writer = MetricWriter(store.metrics_path(rec["id"]))
        for e in item["events"]:
            writer.write(e)
        writer.close()
        store.add_runs([rec])
        added += 1
    return added, skipped
