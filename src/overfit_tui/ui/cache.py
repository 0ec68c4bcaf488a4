"""The app's in-memory view of the store: records and events per run, and the dirty flag
the redraw timer reads (no Textual)."""

from __future__ import annotations

from overfit_tui.studies.base import RunData


class RunCache:
    def __init__(self):
        self.records: dict[str, dict] = {}
        self.events: dict[str, list[dict]] = {}
        self.dirty = True

    def set_records(self, records: list[dict]) -> None:
        self.records = {r["id"]: r for r in records}
        self.dirty = True

    def add_events(self, events: dict[str, list[dict]]) -> None:
        for rid, evs in events.items():
            self.events.setdefault(rid, []).extend(evs)
        self.dirty = True

    def runs(self, study: str | None = None, group: str | None = None) -> list[dict]:
        rs = list(self.records.values())
        if study:
            rs = [r for r in rs if r["study"] == study]
        if group:
            rs = [r for r in rs if r["group"] == group]
        return rs

    def groups(self, studies: tuple[str, ...]) -> list[str]:
        """Group ids of these studies, newest first."""
        seen: dict[str, float] = {}
        for r in self.records.values():
            if r["study"] in studies:
                seen[r["group"]] = max(seen.get(r["group"], 0), r.get("created") or 0)
        return sorted(seen, key=lambda g: -seen[g])

    def run_data(self, records: list[dict]) -> list[RunData]:
        return [
            RunData(r["id"], r["label"], r["spec"], r["status"], r.get("summary") or {}, self.events.get(r["id"], []))
            for r in records
        ]

    def last(self, run_id: str, kind: str) -> dict | None:
        for e in reversed(self.events.get(run_id, [])):
            if e.get("kind") == kind:
                return e
        return None
