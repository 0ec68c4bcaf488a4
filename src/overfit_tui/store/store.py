"""Store: run and group records in TinyDB, safe for several processes at once.

Every operation takes an exclusive lock (fcntl.flock on store.lock) and opens a fresh
TinyDB view, so no process works from a stale cache and no update is lost. A store
file that does not parse is moved aside (never overwritten) and reported through
`recovered_from`; a fresh store starts in its place.
"""

from __future__ import annotations

import fcntl
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tinydb import Query, TinyDB

from overfit_tui.core.errors import OverfitError, StoreError
from overfit_tui.core.paths import Home
from overfit_tui.store.metrics import read_metrics
from overfit_tui.store.storage import AtomicJSONStorage

ENDED = ("finished", "failed", "diverged", "cancelled", "lost")


class Store:
    """All run and group records of one overfit-tui home."""

    def __init__(self, home: Home):
        self.home = home
        self.path = home.store_file
        self.recovered_from: Path | None = None
        with self._locked():
            try:
                AtomicJSONStorage(self.path).read()
            except StoreError as e:
                aside = self.path.with_name(f"{self.path.name}.damaged-{time.strftime('%Y%m%d-%H%M%S')}")
                self.path.rename(aside)
                self.recovered_from = aside
                self.damage = str(e)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.home.root.mkdir(parents=True, exist_ok=True)
        with open(self.home.lock_file, "a+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    @contextmanager
    def _db(self) -> Iterator[TinyDB]:
        with self._locked():
            db = TinyDB(self.path, storage=AtomicJSONStorage)
            try:
                yield db
            finally:
                db.close()

    def _table(self, db: TinyDB, name: str):
        return db.table(name, cache_size=0)

    # -- runs ---------------------------------------------------------------
    def add_runs(self, records: list[dict]) -> None:
        with self._db() as db:
            self._table(db, "runs").insert_multiple(records)

    def update_run(self, run_id: str, **fields: Any) -> None:
        with self._db() as db:
            self._table(db, "runs").update(fields, Query().id == run_id)

    def update_runs(self, run_ids: list[str], **fields: Any) -> None:
        with self._db() as db:
            self._table(db, "runs").update(fields, Query().id.one_of(run_ids))

    def transition(self, run_id: str, allowed_from: tuple[str, ...], **fields: Any) -> bool:
        """Set `fields` only if the run's status is in `allowed_from` (atomically); True if it was."""
        with self._db() as db:
            return bool(
                self._table(db, "runs").update(fields, (Query().id == run_id) & Query().status.one_of(allowed_from))
            )

    def get_run(self, run_id: str) -> dict | None:
        with self._db() as db:
            return self._table(db, "runs").get(Query().id == run_id)

    def runs(self, group: str | None = None) -> list[dict]:
        with self._db() as db:
            t = self._table(db, "runs")
            rows = t.search(Query().group == group) if group else t.all()
        return sorted((dict(r) for r in rows), key=lambda r: (r.get("created", 0), r.get("index", 0)))

    def find_runs(self, ref: str) -> list[dict]:
        """Runs named by a run id, a group id, or an unambiguous prefix of either."""
        runs = self.runs()
        exact = [r for r in runs if r["id"] == ref] or [r for r in runs if r["group"] == ref]
        if exact:
            return exact
        return [r for r in runs if r["id"].startswith(ref)] or [r for r in runs if r["group"].startswith(ref)]

    def require_runs(self, ref: str) -> list[dict]:
        """`find_runs`, or an error naming the reference when nothing matches."""
        found = self.find_runs(ref)
        if not found:
            raise OverfitError(f"no run or group matches '{ref}'")
        return found

    def delete_runs(self, run_ids: list[str]) -> None:
        with self._db() as db:
            self._table(db, "runs").remove(Query().id.one_of(run_ids))

    # -- groups -------------------------------------------------------------
    def add_group(self, record: dict) -> None:
        with self._db() as db:
            self._table(db, "groups").insert(record)

    def update_group(self, group_id: str, **fields: Any) -> None:
        with self._db() as db:
            self._table(db, "groups").update(fields, Query().id == group_id)

    def groups(self) -> list[dict]:
        with self._db() as db:
            rows = self._table(db, "groups").all()
        return sorted((dict(r) for r in rows), key=lambda r: r.get("created", 0))

    def delete_group(self, group_id: str) -> None:
        with self._db() as db:
            self._table(db, "groups").remove(Query().id == group_id)

    # -- files --------------------------------------------------------------
    def metrics_path(self, run_id: str) -> Path:
        return self.home.run_dir(run_id) / "metrics.jsonl"

    def metrics(self, run_id: str) -> list[dict]:
        return read_metrics(self.metrics_path(run_id))
