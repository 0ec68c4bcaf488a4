"""The app's in-memory view of the store (no Textual): the index of every group, the records
and events of the groups views asked for (and of active groups), and the dirty flag the
redraw timer reads.

Changed on the event loop only (the feed's thread reads `wanted()`, which locks). Bounded: a
view asks for a group with `want()`; the feed loads it (records, then its events
once) and keeps it fresh while it is wanted or active. At most `GROUPS_KEPT` groups stay
loaded (the least recently wanted go first), each run keeps at most `PER_RUN` events
(thinned so that every spike survives, store/metrics.py), and the events of all loaded runs
stay under `EVENTS_MAX`.

A restart (`R`, runs/launcher.py restart()) is a new group in the store; here it belongs to
the group it restarts (`restarts`, found by `restart_sources` off the event loop): the pane
lists its source group, not it, and shows the restarted runs beside their group's.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from overfit_tui.core.records import RunRecord
from overfit_tui.export.run_data import runs_data
from overfit_tui.store.metrics import read_metrics, thin_events
from overfit_tui.studies.base import RunData

GROUPS_KEPT = 16  # wanted groups kept loaded
PER_RUN = 4000  # events kept per run (thinned to half when a run passes it)
EVENTS_MAX = 400_000  # events kept in all (about 300 MB of dicts at most)


class RunCache:
    def __init__(self, groups_kept: int = GROUPS_KEPT, per_run: int = PER_RUN, events_max: int = EVENTS_MAX):
        self.index: dict[str, dict] = {}
        self.records: dict[str, RunRecord] = {}
        self.events: dict[str, list[dict]] = {}
        self.dirty = True
        self.wake = threading.Event()  # set when a view wants something not loaded yet
        self._members: dict[str, list[str]] = {}  # group id -> its run ids in `records`
        self._wanted: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()
        self.groups_kept, self.per_run, self.events_max = groups_kept, per_run, events_max
        self.n_events = 0
        self.queue_pos: dict[str, int] = {}  # run id -> its place in the home's queue (the device feed's)
        self.restarts: dict[
            str, tuple[str, tuple[str, ...]]
        ] = {}  # restart group -> (its source group, runs it redoes)

    # -- what views ask for (event loop) and what the feed watches (its thread) ------------
    def want(self, *group_ids: str) -> bool:
        """Ask for these groups' records and events; True if they are all loaded already."""
        loaded = True
        with self._lock:
            for gid in group_ids:
                self._wanted[gid] = None
                self._wanted.move_to_end(gid)
                loaded &= gid in self._members
            while len(self._wanted) > self.groups_kept:
                old, _ = self._wanted.popitem(last=False)
                if not self._active(old):
                    self._drop(old)
        if not loaded:
            self.wake.set()
        return loaded

    def wanted(self) -> list[str]:
        with self._lock:
            return list(self._wanted)

    def loaded(self, group_id: str) -> bool:
        return group_id in self._members

    # -- what the feed brings --------------------------------------------------------------
    def set_index(self, index: dict[str, dict]) -> None:
        self.index = index
        self.dirty = True

    def set_group(self, group_id: str, records: list[RunRecord]) -> None:
        """A group's current records (all of them), replacing what was cached of it."""
        with self._lock:
            for rid in self._members.pop(group_id, []):
                self.records.pop(rid, None)
            self._members[group_id] = [r.id for r in records]
            for r in records:
                self.records[r.id] = r
        self.dirty = True

    def drop_group(self, group_id: str) -> None:
        with self._lock:
            self._wanted.pop(group_id, None)
            self._drop(group_id)
        self.dirty = True

    def set_records(self, records: list[RunRecord]) -> None:
        """Every cached record at once (groups not in `records` are dropped)."""
        by: dict[str, list[RunRecord]] = {}
        for r in records:
            by.setdefault(r.group, []).append(r)
        for gid in set(self._members) - set(by):
            self.drop_group(gid)
        for gid, rs in by.items():
            self.set_group(gid, rs)

    def add_events(self, events: dict[str, list[dict]]) -> None:
        with self._lock:
            for rid, evs in events.items():
                cur = self.events.setdefault(rid, [])
                self.n_events -= len(cur)
                cur.extend(evs)
                if len(cur) > self.per_run:
                    cur[:] = thin_events(cur, self.per_run // 2)
                self.n_events += len(cur)
            self._bound()
        self.dirty = True

    def _bound(self) -> None:
        """Under `_lock`: drop the least recently wanted groups, then thin, until under `events_max`."""
        for gid in list(self._wanted)[:-1]:
            if self.n_events <= self.events_max:
                return
            if not self._active(gid):
                del self._wanted[gid]
                self._drop(gid)
        if self.n_events > self.events_max and self.events:
            limit = max(200, self.events_max // len(self.events))
            for cur in self.events.values():
                if len(cur) > limit:
                    self.n_events -= len(cur)
                    cur[:] = thin_events(cur, limit)
                    self.n_events += len(cur)

    def _drop(self, group_id: str) -> None:
        for rid in self._members.pop(group_id, []):
            self.records.pop(rid, None)
            self.n_events -= len(self.events.pop(rid, []))

    def _active(self, group_id: str) -> bool:
        return bool(self.index.get(group_id, {}).get("active"))

    # -- what views read ---------------------------------------------------------------------
    def runs(self, study: str | None = None, group: str | None = None) -> list[RunRecord]:
        if group is not None:
            rs = [self.records[i] for i in self._members.get(group, []) if i in self.records]
        else:
            rs = list(self.records.values())
        if study:
            rs = [r for r in rs if r.study == study]
        return rs

    def groups(self, studies: tuple[str, ...]) -> list[str]:
        """Group ids of these studies, newest first: every stored group (from the index), loaded or
        not; a restart is not one of them but part of the group it restarts (`family`)."""
        seen = {g: e["created"] for g, e in self.index.items() if e["study"] in studies and sum(e["counts"].values())}
        for r in self.records.values():
            if r.study in studies and r.group not in seen:
                seen[r.group] = r.created
        part = {g for g, (src, _) in self.restarts.items() if src in seen}
        return sorted((g for g in seen if g not in part), key=lambda g: -seen[g])

    def set_restarts(self, restarts: dict[str, tuple[str, tuple[str, ...]]]) -> None:
        if restarts != self.restarts:
            self.restarts = dict(restarts)
            self.dirty = True

    def family(self, group_id: str) -> list[str]:
        """The group and its restarts, oldest restart first."""
        mine = [g for g, (src, _) in self.restarts.items() if src == group_id]
        return [group_id, *sorted(mine, key=lambda g: self.index.get(g, {}).get("created", 0))]

    def family_runs(self, group_id: str) -> tuple[list[RunRecord], set[str]]:
        """The records of a group and of its restarts (in that order, each by index), and the ids
        of the runs a restart redoes (where the redo is loaded): figures and claims skip those."""
        out, redone = [], set()
        for g in self.family(group_id):
            rs = sorted(self.runs(group=g), key=lambda r: r.index)
            out += rs
            if g != group_id and rs:
                redone |= set(self.restarts[g][1])
        return out, redone

    def run_data(self, records: list[RunRecord]) -> list[RunData]:
        return runs_data(records, lambda rid: self.events.get(rid, []))

    def last(self, run_id: str, kind: str) -> dict | None:
        for e in reversed(self.events.get(run_id, [])):
            if e.get("kind") == kind:
                return e
        return None


def restart_sources(store, index: dict[str, dict], known: dict) -> dict[str, tuple[str, tuple[str, ...]]]:
    """Restart group -> (the group it restarts, the run ids it redoes), for the restarts in
    `index` (read off the event loop: one group file per restart not in `known`). A restart of
    a restart belongs to the first group."""
    of_run = {rid: gid for gid, e in index.items() for rid in e["ids"].split()}
    found = {g: v for g, v in known.items() if g in index}
    for gid in index:
        if gid in found or not gid.startswith("restart-"):  # launcher.restart()'s ids; the record decides
            continue
        rec = store.group(gid)
        redone = rec.restart_of if rec else ()
        source = next((of_run[r] for r in redone if r in of_run), None)
        if source is not None and source != gid:
            found[gid] = (source, redone)
    for gid, (src, redone) in list(found.items()):
        seen = {gid}
        while src in found and src not in seen:  # to the first group
            seen.add(src)
            src = found[src][0]
        found[gid] = (src, redone)
    return found


def snapshot(store, run_ids: list[str], live: RunCache | None = None, per_run: int = PER_RUN) -> RunCache:
    """A cache of just these runs (a comparison's), read off the event loop: each group's file
    once, each run's metrics once (thinned), or taken from `live` where it has them loaded."""

    snap = RunCache(groups_kept=len(run_ids) + 1, per_run=per_run, events_max=max(EVENTS_MAX, per_run * len(run_ids)))
    wanted, by_group = set(run_ids), {}
    for rid in run_ids:
        rec = live.records.get(rid) if live else None
        rec = rec or store.get_run(rid)
        if rec is not None:
            by_group.setdefault(rec.group, []).append(rec)
    for gid, recs in by_group.items():
        snap.set_group(gid, [r for r in recs if r.id in wanted])
        for r in recs:
            evs = live.events.get(r.id) if live and live.loaded(gid) else None
            snap.add_events({r.id: list(evs) if evs is not None else read_metrics(store.metrics_path(r.id))})
    snap.dirty = True
    return snap
