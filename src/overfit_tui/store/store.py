"""Store: run and group records in TinyDB, safe for several processes at once.

Writes take an exclusive lock (fcntl.flock on store.lock) and open a fresh TinyDB view,
so no process works from a stale cache; every read-modify-write (a tag, a claim, a
status change, a removal) happens inside one lock through a method that takes a
function or a condition, so no update is lost. Reads need no lock: writes replace the
file atomically, so a reader sees the old or the new store, never a torn one (and a
read-only home can still be listed).

A store file that is not a store is moved aside (never overwritten) and reported through
`recovered_from`; a fresh store starts in its place. A single record that breaks the
schema (store/schema.py) is skipped by every reader and reported by `problems()`;
`remove_runs` and `remove_malformed` can always remove it. Temporary files of killed
writers are cleaned when a store is opened.
"""

from __future__ import annotations

import errno
import fcntl
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tinydb import Query, TinyDB

from overfit_tui.core.errors import RefError, StoreError, printable
from overfit_tui.core.ids import ID_RULE, is_id, suffix
from overfit_tui.core.paths import Home
from overfit_tui.store.metrics import read_metrics
from overfit_tui.store.schema import ACTIVE, ENDED, GROUP_FIELDS, RUN_FIELDS, BadRecord, record_problem, usable_id
from overfit_tui.store.storage import MALFORMED, AtomicJSONStorage, os_reason, read_store_file

__all__ = ["ACTIVE", "ENDED", "Store"]
REF_SHOWN = 8  # candidates listed when a reference is ambiguous


class Store:
    """All run and group records of one overfit-tui home."""

    def __init__(self, home: Home):
        self.home = home
        self.path = home.store_file
        self.recovered_from: Path | None = None
        self.damage: str | None = None
        self.read_only = False
        try:
            with self._locked():
                self._clean_tmp()
                self._check_file()
        except _NoLock:
            self.read_only = True  # listing still works; every write says why it cannot
            try:
                read_store_file(self.path)
            except StoreError as e:
                self.damage = str(e)

    # -- locking and file upkeep ---------------------------------------------
    @contextmanager
    def _locked(self) -> Iterator[None]:
        try:
            fd = os.open(self.home.lock_file, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as e:
            cls = _NoLock if e.errno in (errno.EROFS, errno.EACCES, errno.EPERM) else StoreError
            raise cls(f"cannot write the store in {self.home.root}: {os_reason(e)}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    def _clean_tmp(self) -> None:
        """Temporary files of writers killed mid-write (under the lock, no live writer has one)."""
        for tmp in self.path.parent.glob(f".{self.path.name}.*.tmp"):
            try:
                tmp.unlink()
            except OSError:
                pass

    def _check_file(self) -> None:
        """Under the lock: a store file that is no store is set aside and reported."""
        try:
            read_store_file(self.path)
        except StoreError as e:
            aside = self.path.with_name(f"{self.path.name}.damaged-{time.strftime('%Y%m%d-%H%M%S')}-{suffix()}")
            try:
                os.rename(self.path, aside)
            except OSError as oe:
                raise StoreError(f"{e}; it could not be set aside ({os_reason(oe)})") from None
            self.recovered_from, self.damage = aside, str(e)

    def _tables(self) -> dict:
        """The store's tables, read without the lock (atomic replace makes that safe)."""
        try:
            return read_store_file(self.path) or {}
        except StoreError as e:
            if self.read_only:
                self.damage = str(e)
                return {}
        with self._locked():  # damaged since we opened it: set aside, as on open
            self._check_file()
        return read_store_file(self.path) or {}

    @contextmanager
    def _db(self) -> Iterator[TinyDB]:
        if self.read_only:
            raise StoreError(f"cannot write the store in {self.home.root}: the home folder is read-only")
        with self._locked():
            db = TinyDB(self.path, storage=AtomicJSONStorage)
            try:
                yield db
            finally:
                db.close()

    def _table(self, db: TinyDB, name: str):
        return db.table(name, cache_size=0)

    # -- reading ---------------------------------------------------------------
    def _valid(self, table: str, fields: dict) -> list[dict]:
        rows = self._tables().get(table, {}).values()
        return [dict(r) for r in rows if record_problem(r, fields) is None]

    def runs(self, group: str | None = None) -> list[dict]:
        """Every readable run record (of one group), oldest first; unreadable ones are in `problems()`."""
        rows = [r for r in self._valid("runs", RUN_FIELDS) if group is None or r["group"] == group]
        return sorted(rows, key=lambda r: (r["created"], r.get("index", 0)))

    def groups(self) -> list[dict]:
        return sorted(self._valid("groups", GROUP_FIELDS), key=lambda g: g["created"])

    def get_run(self, run_id: str) -> dict | None:
        return next((r for r in self._valid("runs", RUN_FIELDS) if r["id"] == run_id), None)

    def problems(self) -> list[BadRecord]:
        """Records that break the schema, with where and why (readers skip them)."""
        out = []
        tables = self._tables()
        for table, fields in (("runs", RUN_FIELDS), ("groups", GROUP_FIELDS)):
            for doc_id, rec in tables.get(table, {}).items():
                problem = record_problem(rec.get(MALFORMED, rec), fields)
                if problem:
                    out.append(BadRecord(table, doc_id, usable_id(rec), *problem))
        return out

    def resolve(self, ref: str) -> list[dict]:
        """The runs a reference names: a run id, a group id, or a prefix of exactly one of them.

        The empty string names nothing; a prefix of several runs or groups is an error listing them."""
        if not ref:
            raise RefError("an empty reference names nothing: give a run or group id (a unique prefix is enough)")
        if not is_id(ref):
            raise RefError(f"'{printable(ref, 80)}' is not a run or group id: {ID_RULE}")
        runs = self.runs()
        exact = [r for r in runs if r["id"] == ref] or [r for r in runs if r["group"] == ref]
        if exact:
            return exact
        ids = [r["id"] for r in runs if r["id"].startswith(ref)]
        groups = sorted({r["group"] for r in runs if r["group"].startswith(ref)})
        if len(ids) + len(groups) == 1:
            return [r for r in runs if r["id"] in ids or r["group"] in groups]
        if not ids and not groups:
            raise RefError(f"no run or group matches '{ref}'")
        names = [f"run {i}" for i in ids] + [f"group {g}" for g in groups]
        more = f", and {len(names) - REF_SHOWN} more" if len(names) > REF_SHOWN else ""
        raise RefError(
            f"'{ref}' matches {len(names)} runs and groups: {', '.join(names[:REF_SHOWN])}{more}; give more of the id"
        )

    # -- writing ---------------------------------------------------------------
    def add_runs(self, records: list[dict]) -> None:
        """Insert new run records; an id already in the store (or twice in `records`) is refused."""
        with self._db() as db:
            t = self._table(db, "runs")
            _refuse_duplicates("run", records, t.all())
            t.insert_multiple(records)

    def add_group(self, record: dict) -> None:
        with self._db() as db:
            t = self._table(db, "groups")
            _refuse_duplicates("group", [record], t.all())
            t.insert(record)

    def update_run(self, run_id: str, **fields: Any) -> None:
        with self._db() as db:
            self._table(db, "runs").update(fields, Query().id == run_id)

    def update_runs(self, run_ids: list[str], **fields: Any) -> None:
        with self._db() as db:
            self._table(db, "runs").update(fields, Query().id.one_of(run_ids))

    def update_group(self, group_id: str, **fields: Any) -> None:
        with self._db() as db:
            self._table(db, "groups").update(fields, Query().id == group_id)

    def modify_runs(self, run_ids: list[str], fn: Callable[[dict], bool | None]) -> list[dict]:
        """Read-modify-write inside one lock: `fn(record)` edits each readable run in place and
        returns True if it changed it; returns copies of the changed records."""
        changed: list[dict] = []

        def apply(doc: dict) -> None:
            if record_problem(doc) is None and fn(doc):
                changed.append(dict(doc))

        with self._db() as db:
            self._table(db, "runs").update(apply, Query().id.one_of(list(run_ids)))
        return changed

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

    def remove_runs(self, run_ids: list[str]) -> list[dict]:
        """Remove these runs (readable ones only when they are not queued or running; unreadable
        ones always) and every group left without runs, in one lock; returns the removed records."""
        wanted = set(run_ids)
        with self._db() as db:
            runs, groups = self._table(db, "runs"), self._table(db, "groups")
            gone = [
                doc
                for doc in runs.all()
                if usable_id(doc) in wanted and (record_problem(doc) is not None or doc["status"] not in ACTIVE)
            ]
            if gone:
                runs.remove(doc_ids=[d.doc_id for d in gone])
            left = {d.get("group") for d in runs.all()}
            emptied = [g.doc_id for g in groups.all() if g.get("id") in {d.get("group") for d in gone} - left]
            if emptied:
                groups.remove(doc_ids=emptied)
        return [dict(d) for d in gone]

    def remove_malformed(self) -> int:
        """Remove every record that breaks the schema (runs and groups); returns how many."""
        n = 0
        with self._db() as db:
            for table, fields in (("runs", RUN_FIELDS), ("groups", GROUP_FIELDS)):
                t = self._table(db, table)
                bad = [d.doc_id for d in t.all() if record_problem(d, fields) is not None]
                if bad:
                    t.remove(doc_ids=bad)
                    n += len(bad)
        return n

    @contextmanager
    def transaction(self) -> Iterator[TinyDB]:
        """The TinyDB under the lock, for a change that spans several records and tables (import)."""
        with self._db() as db:
            yield db

    # -- files -----------------------------------------------------------------
    def metrics_path(self, run_id: str) -> Path:
        return self.home.run_dir(run_id) / "metrics.jsonl"

    def metrics(self, run_id: str) -> list[dict]:
        return read_metrics(self.metrics_path(run_id))


def _refuse_duplicates(kind: str, records: list[dict], existing: list[dict]) -> None:
    seen = {d.get("id") for d in existing if isinstance(d, dict)}
    for r in records:
        if r.get("id") in seen:
            raise StoreError(f"{kind} id '{printable(r.get('id'), 80)}' is already in the store")
        seen.add(r.get("id"))


class _NoLock(StoreError):
    """The lock file cannot be opened for writing: the home is read-only."""
