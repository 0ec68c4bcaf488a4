"""A polling feed of the store for live views: the index when it changes, the records of the
groups watched when their file changes, and newly appended metric events.

It watches only what can change: the index (one stat per poll), the files of the groups the
caller wants and of groups with active runs (one stat each), and the metric files of their
queued and running runs (one stat each; read only when they grew). A run that has ended is
read once, to the end, and then left alone. Headless (the TUI calls `poll()` from a
background thread; tests call it directly).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from overfit_tui.core.records import RunRecord
from overfit_tui.runs.liveness import reconcile
from overfit_tui.store import Store
from overfit_tui.store.metrics import MetricTail
from overfit_tui.store.storage import file_sig

RECONCILE_S = 3.0


@dataclass
class FeedBatch:
    """What one poll found: each field is empty (or None) when nothing of that kind changed."""

    index: dict[str, dict] | None = None  # every group's index entry, when the index changed
    groups: dict[str, list[RunRecord]] = field(default_factory=dict)  # group id -> its records, for groups that changed
    gone: set[str] = field(default_factory=set)  # groups no longer followed (removed, or ended and not wanted)
    events: dict[str, list[dict]] = field(default_factory=dict)  # run id -> new events

    @property
    def records(self) -> list[RunRecord] | None:
        """The records of the groups that changed, None if none did."""
        return [r for rs in self.groups.values() for r in rs] if self.groups else None

    def __bool__(self) -> bool:
        return bool(self.index is not None or self.groups or self.gone or self.events)


class RunFeed:
    """Tracks the groups a view wants (every group if `groups` is None) and every active group."""

    def __init__(self, store: Store, groups: Iterable[str] | None = None):
        self.store = store
        self.every = groups is None
        self._wanted: set[str] = set(groups or ())
        self._want_lock = threading.Lock()
        self._index: dict[str, dict] | None = None
        self._sigs: dict[str, tuple | None] = {}  # group id -> signature of its file when last read
        self._records: dict[str, list[RunRecord]] = {}  # group id -> its records when last read
        self.tails: dict[str, MetricTail] = {}
        self._ended: set[str] = set()  # runs read to the end after they ended: never read again
        self._last_reconcile = 0.0

    def want(self, groups: Iterable[str], only: bool = False) -> None:
        """Watch these groups too (`only`: instead of the ones wanted so far). Thread-safe."""
        with self._want_lock:
            self._wanted = set(groups) | (set() if only else self._wanted)

    def poll(self) -> FeedBatch:
        if time.monotonic() - self._last_reconcile > RECONCILE_S:
            self._last_reconcile = time.monotonic()
            reconcile(self.store)
        batch = FeedBatch()
        index = self.store.index()
        if index is not self._index:
            self._index = batch.index = index
        with self._want_lock:
            wanted = set(index) if self.every else self._wanted & set(index)
        follow = wanted | {g for g, e in index.items() if e["active"]}
        for gid in set(self._records) - set(index):
            batch.gone.add(gid)
            self._forget(gid)
        watched = follow | set(self._records)  # a group that just ended is read a last time
        for gid in sorted(watched, key=lambda g: index[g]["created"]):
            sig = file_sig(self.store._group_path(gid))
            if gid in self._records and sig == self._sigs.get(gid):
                continue
            records = self.store.runs(gid)
            self._sigs[gid] = sig
            old = {r.id: r.status for r in self._records.get(gid, [])}
            if records != self._records.get(gid) or gid not in self._records:
                batch.groups[gid] = records
            for r in records:  # a run whose status moved (lost -> finished) is read again
                if r.id in self._ended and old.get(r.id) != r.status:
                    self._ended.discard(r.id)
            self._records[gid] = records
        for gid in watched:
            for r in self._records.get(gid, []):
                rid = r.id
                if rid in self._ended:
                    continue
                tail = self.tails.get(rid)
                if tail is None:
                    tail = self.tails[rid] = MetricTail(self.store.metrics_path(rid))
                evs = tail.read_new()
                if evs:
                    batch.events[rid] = evs
                if not r.status.active:  # its file was complete before the record said so
                    self._ended.add(rid)
        for gid in watched - follow:
            if not any(r.status.active for r in self._records.get(gid, [])):
                batch.gone.add(gid)  # ended and not wanted: no longer followed
                self._forget(gid)
        return batch

    def _forget(self, gid: str) -> None:
        for r in self._records.pop(gid, []):
            self.tails.pop(r.id, None)
            self._ended.discard(r.id)
        self._sigs.pop(gid, None)
