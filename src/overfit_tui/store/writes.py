"""Writing the store: every change is made under the lock, through TinyDB, on a fresh read of
the group files it touches, and written in an order that keeps the index's promises
(store/index.py) at every instant, so a crash between two writes loses nothing and misleads
no reader. Part of `Store`.

The order: index entries that gain run ids or turn active are written first; then the group
files; then the entries of groups that are not active (with their file's new signature), of
groups that lost runs, and of groups that are gone. A status change inside an active group
(the claim, a worker's outcome while others run) writes only that group's file.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tinydb import Query, TinyDB

from overfit_tui.core.errors import StoreError, printable, show
from overfit_tui.core.ids import is_id
from overfit_tui.store.index import entry_ids, group_entry
from overfit_tui.store.migrate import group_of
from overfit_tui.store.schema import ACTIVE, GROUP_FIELDS, RUN_FIELDS, record_problem, usable_id
from overfit_tui.store.storage import BufferedStorage, file_sig

Edit = Callable[[TinyDB], Any]  # edits a group's tables; a truthy result means it changed them


class StoreWrites:
    """The writing half of `Store` (see store.py for the layout and the guarantees)."""

    def _writable(self) -> None:
        if self.read_only:
            raise StoreError(f"cannot write the store in {self.home.root}: the home folder is read-only")

    # -- the one way group files change ------------------------------------------------
    def _apply(self, edits: dict[str, Edit]) -> dict[str, Any]:
        """Under the lock: read each group's file once, let its edit change it through TinyDB, write."""
        self._writable()
        results: dict[str, Any] = {}
        with self._locked():
            index = dict(self._index_now())
            staged = []
            for gid, edit in edits.items():
                path = self._group_path(gid)
                got = self._read_group_file(gid, own_index=True)
                db = TinyDB(path, got[0] if got else None, storage=BufferedStorage)
                results[gid] = edit(db)
                if results[gid]:
                    staged.append((gid, path, db.storage))
                elif got is None and gid in index:
                    staged.append((gid, path, None))  # set aside as damaged meanwhile: its entry goes
            self._commit(index, staged)
        return results

    def _commit(self, index: dict[str, dict], staged: list) -> None:
        entries: dict[str, dict | None] = {}
        for gid, _, st in staged:
            old = index.get(gid)
            if st is None or not _holds(st.tables):
                entries[gid] = None
            elif old is not None and old["active"] and _still_active_same_ids(st.tables, old):
                entries[gid] = old  # the hot path (a claim, an outcome while others run): nothing to index
            else:
                entries[gid] = group_entry(st.tables)
        first = False
        for gid, new in entries.items():
            old = index.get(gid)
            if (
                new
                and new is not old
                and new["active"]
                and (old is None or not old["active"] or not _ids_within(new, old))
            ):
                index[gid], first = new, True
        if first:
            self._write_index(index)
        for gid, path, st in staged:
            if entries[gid] is None:
                self._remove(path)
            else:
                st.flush()
        after = False
        for gid, path, _ in staged:
            new, old = entries[gid], index.get(gid)
            if new is None:
                after |= index.pop(gid, None) is not None
            elif not new["active"]:
                new["sig"] = list(file_sig(path) or (0, 0, 0))
                index[gid], after = new, True
            elif new is not old and old["ids"] != new["ids"]:
                index[gid], after = new, True  # lost runs (the listed ids may only shrink after the file)
        if after:
            self._write_index(index)

    def _edit_loose(self, edit: Edit) -> Any:
        """The unsorted records (no usable group), edited like a group's file."""
        got = self._read_loose()
        db = TinyDB(self.loose_path, got[0] if got else None, storage=BufferedStorage)
        result = edit(db)
        if result:
            if _holds(db.storage.tables):
                db.storage.flush()
            else:
                self._remove(self.loose_path)
        return result

    def _locate(self, run_ids: list[str], hinted: bool = True) -> dict[str, list[str]]:
        ids = self._ids()
        out: dict[str, list[str]] = {}
        for rid in dict.fromkeys(run_ids):
            gid = (self._hint.get(rid) if hinted else None) or ids.get(rid)
            if gid:
                out.setdefault(gid, []).append(rid)
        return out

    def _edit_runs(self, run_ids: list[str], fn: Callable[[dict], bool]) -> list[dict]:
        """fn(doc) edits each stored run doc (readable or not) with one of these ids in place and says
        whether it changed it; returns copies of the changed docs. One lock, each group read once."""
        changed: list[dict] = []
        found: set[str] = set()

        def edit_for(ids: list[str]) -> Edit:
            def edit(db: TinyDB) -> list[dict]:
                out: list[dict] = []

                def apply(doc: dict) -> None:
                    found.add(doc.get("id"))
                    if fn(doc):
                        out.append(dict(doc))

                db.table("runs", cache_size=0).update(apply, Query().id.one_of(ids))
                return out

            return edit

        with self._locked():
            for hinted in (True, False):  # a stale hint (a removed run) falls back to the index
                todo = [r for r in run_ids if r not in found]
                located = self._locate(todo, hinted)
                if not located:
                    break
                for result in self._apply({gid: edit_for(ids) for gid, ids in located.items()}).values():
                    changed.extend(result)
                if hinted is False or all(r in found for r in run_ids):
                    break
        return changed

    # -- adding ------------------------------------------------------------------------
    def _refuse_duplicates(self, records: list[dict]) -> None:
        """Under the lock: an id already stored (or twice in `records`) is refused."""
        ids, seen = self._ids(), set()
        loose = None
        for r in records:
            rid = r.get("id") if isinstance(r, dict) else None
            if rid in seen or (
                rid in ids and any(x.get("id") == rid for x in self._tables(ids[rid]).get("runs", {}).values())
            ):
                raise StoreError(
                    f"run id '{printable(rid, 80)}' is already in the store"
                )  # (the index may list one too many)
            if loose is None:
                got = self._read_loose()
                loose = {d.get("id") for d in (got[0] if got else {}).get("runs", {}).values() if isinstance(d, dict)}
            if rid in loose:
                raise StoreError(f"run id '{printable(rid, 80)}' is already in the store")
            seen.add(rid)

    def add_runs(self, records: list[dict], groups: list[dict] = ()) -> None:
        """Insert new run records (and the records of new `groups`, where a group has none yet);
        an id already in the store (or twice in `records`) is refused."""
        self._writable()
        by: dict[str, list[dict]] = {}
        loose = []
        for r in records:
            gid = group_of(r, "runs")
            (by.setdefault(gid, []) if gid else loose).append(r)
        new_groups = {g["id"]: g for g in groups if is_id(g.get("id"))}
        with self._locked():
            self._refuse_duplicates(records)
            edits = {gid: _inserter(by.get(gid, []), new_groups.get(gid)) for gid in {**by, **new_groups}}
            self._apply(edits)
            if loose:
                self._edit_loose(lambda db: db.table("runs", cache_size=0).insert_multiple(loose))

    def add_group(self, record: dict, runs: list[dict] = ()) -> None:
        """A new group (and its first runs, in the same write); an id already stored is refused."""
        gid = record.get("id")
        if not is_id(gid):
            raise StoreError(f"group id {show(gid)} is not a valid id")
        if any(r.get("group") != gid for r in runs):
            raise StoreError(f"the runs added with group '{gid}' must belong to it")
        self._writable()
        with self._locked():
            self._refuse_duplicates(list(runs))
            self._apply({gid: _inserter(list(runs), record, refuse=True)})

    # -- changing ------------------------------------------------------------------------
    def update_run(self, run_id: str, **fields: Any) -> None:
        self.update_runs([run_id], **fields)

    def update_runs(self, run_ids: list[str], **fields: Any) -> None:
        self._edit_runs(list(run_ids), lambda doc: doc.update(fields) or True)

    def update_group(self, group_id: str, **fields: Any) -> None:
        if is_id(group_id):
            self._apply({group_id: lambda db: db.table("groups", cache_size=0).update(fields)})

    def modify_runs(self, run_ids: list[str], fn: Callable[[dict], bool | None]) -> list[dict]:
        """Read-modify-write inside one lock: `fn(record)` edits each readable run in place and
        returns True if it changed it; returns copies of the changed records."""
        return self._edit_runs(list(run_ids), lambda doc: record_problem(doc) is None and bool(fn(doc)))

    def transition(
        self,
        run_id: str,
        allowed_from: tuple[str, ...],
        only_if: Callable[[dict], bool] | None = None,
        **fields: Any,
    ) -> bool:
        """Set `fields` only if the run's status is in `allowed_from` (and `only_if(record)` holds),
        atomically; True if it was. The queued -> running transition is how a worker claims a run."""

        def fn(doc: dict) -> bool:
            if doc.get("status") not in allowed_from or (only_if and not only_if(doc)):
                return False
            doc.update(fields)
            return True

        return bool(self.modify_runs([run_id], fn))

    # -- removing ------------------------------------------------------------------------
    def remove_runs(self, run_ids: list[str]) -> list[dict]:
        """Remove these runs (readable ones only when they are not queued or running; unreadable
        ones always) and every group left without runs, in one lock; returns the removed records."""
        self._writable()
        wanted = set(run_ids)
        gone: list[dict] = []

        def edit(db: TinyDB, group_file: bool = True) -> list:
            runs = db.table("runs", cache_size=0)
            docs = [
                d for d in runs.all() if usable_id(d) in wanted and (record_problem(d) or d["status"] not in ACTIVE)
            ]
            if docs:
                runs.remove(doc_ids=[d.doc_id for d in docs])
                if group_file and not len(runs):
                    db.table("groups", cache_size=0).truncate()  # a group left without runs goes too
            gone.extend(dict(d) for d in docs)
            return docs

        with self._locked():
            self._apply({gid: edit for gid in self._locate(list(run_ids), hinted=False)})
            if len(gone) < len(wanted) and self.loose_path.exists():
                self._edit_loose(lambda db: edit(db, group_file=False))
        return gone

    def remove_malformed(self) -> int:
        """Remove every record that breaks the schema (runs and groups); returns how many."""
        self._writable()
        n = 0

        def edit(db: TinyDB) -> int:
            nonlocal n
            removed = 0
            for table, fields in (("runs", RUN_FIELDS), ("groups", GROUP_FIELDS)):
                t = db.table(table, cache_size=0)
                bad = [d.doc_id for d in t.all() if record_problem(d, fields) is not None]
                if bad:
                    t.remove(doc_ids=bad)
                    removed += len(bad)
            n += removed
            return removed

        with self._locked():
            index = self._index_now()
            self._apply({gid: edit for gid, e in index.items() if e["bad"] or e["active"]})
            if self.loose_path.exists():
                self._edit_loose(edit)
        return n


def _holds(tables: dict | None) -> bool:
    return bool(tables) and any(tables.get(t) for t in ("runs", "groups"))


def _still_active_same_ids(tables: dict, old: dict) -> bool:
    """Cheaply (no schema check): the group still has an active run and exactly the ids listed.
    A damaged record may count as active here: the index then says active a little longer (a
    promise it may keep loosely); a changed id list always takes the exact way."""
    runs = tables.get("runs", {}).values()
    ids = " ".join(r["id"] for r in runs if isinstance(r, dict) and isinstance(r.get("id"), str))
    return ids == old["ids"] and any(isinstance(r, dict) and r.get("status") in ACTIVE for r in runs)


def _ids_within(new: dict, old: dict) -> bool:
    return new["ids"] == old["ids"] or set(entry_ids(new)) <= set(entry_ids(old))


def _inserter(runs: list[dict], group: dict | None, refuse: bool = False) -> Edit:
    def edit(db: TinyDB) -> bool:
        if group is not None:
            t = db.table("groups", cache_size=0)
            if any(usable_id(d) == group["id"] for d in t.all()):
                if refuse:
                    raise StoreError(f"group id '{printable(group['id'], 80)}' is already in the store")
            else:
                t.insert(group)
        if runs:
            db.table("runs", cache_size=0).insert_multiple(runs)
        return True

    return edit
