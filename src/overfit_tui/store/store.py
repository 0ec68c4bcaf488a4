"""Store: run and group records in TinyDB, one file per group, safe for several processes at once.

Layout (HOME/store/): `groups/<group id>.json` is a TinyDB file holding one group's record and
its runs; `index.json` holds one small entry per group (store/index.py) so that listing,
filtering and finding a run open only the groups concerned; `unsorted.json` keeps records
that name no usable group. An operation on one group reads and writes that group's file:
its cost does not grow with the number of runs stored.

Writes take an exclusive lock (fcntl.flock on HOME/store.lock) and work on fresh reads of the
files they change, so no process works from a stale cache; every read-modify-write (a tag, a
claim, a status change, a removal) happens inside one lock through a method that takes a
function or a condition, so no update is lost. Reads need no lock: every file is replaced
atomically, so a reader sees the old or the new version, never a torn one (and a read-only
home can still be listed).

Opening a store (under the lock) cleans temporary files of killed writers, converts a
single-file store of earlier versions (store/migrate.py; the old file is kept aside), and
checks the index against the group files (one stat per group), repairing what a crash
between two writes left behind. A file that is not a store is moved aside (never
overwritten) and reported through `recovered_from`; a damaged index is rebuilt from the
group files. A single record that breaks the schema (store/schema.py) is skipped by every
reader and reported by `problems()`; `remove_runs` and `remove_malformed` can always remove it.
"""

from __future__ import annotations

import errno
import fcntl
import os
import stat
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from overfit_tui.core.errors import StoreError
from overfit_tui.core.ids import is_id
from overfit_tui.core.paths import Home
from overfit_tui.store.index import entry_ids, group_entry, read_index, write_index
from overfit_tui.store.metrics import read_metrics
from overfit_tui.store.migrate import LOOSE, merge, partition
from overfit_tui.store.reads import StoreReads
from overfit_tui.store.schema import ACTIVE, ENDED, usable_id
from overfit_tui.store.storage import (
    BufferedStorage,
    file_sig,
    os_reason,
    read_store_file,
    read_store_file_sig,
    remove_file,
    set_aside,
)
from overfit_tui.store.writes import StoreWrites

__all__ = ["ACTIVE", "ENDED", "Store"]


class Store(StoreReads, StoreWrites):
    """All run and group records of one overfit-tui home."""

    def __init__(self, home: Home):
        self.home = home
        self.dir = home.store_dir
        self.path = self.dir  # where the records are (messages name it)
        self.groups_dir = self.dir / "groups"
        self.index_path = self.dir / "index.json"
        self.loose_path = self.dir / "unsorted.json"
        self.recovered_from: Path | None = None  # the last file set aside because it was no store
        self.damage: str | None = None  # why
        self.notices: list[str] = []  # what a user should hear once: a conversion, a repair
        self.read_only = False
        self._local = threading.local()  # this thread's lock depth (the lock is reentrant per thread)
        self._index_cache: tuple[tuple | None, dict[str, dict]] = (None, {})
        self._ids_cache: tuple[dict | None, dict[str, str]] = (None, {})
        self._memory: dict[str, dict] = {}  # a read-only home's unconverted store.json, converted in memory
        self._hint: dict[str, str] = {}  # run id -> group id, as last read (a run never changes group)
        try:
            with self._locked():
                self._open()
        except _NoLock:
            self.read_only = True  # listing still works; every write says why it cannot
            self._open_read_only()

    # -- locking ---------------------------------------------------------------
    @contextmanager
    def _locked(self) -> Iterator[None]:
        """The store's exclusive lock; reentrant within a thread (flock would deadlock on a second fd)."""
        depth = getattr(self._local, "depth", 0)
        if depth:
            self._local.depth = depth + 1
            try:
                yield
            finally:
                self._local.depth = depth
            return
        try:
            fd = os.open(self.home.lock_file, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as e:
            cls = _NoLock if e.errno in (errno.EROFS, errno.EACCES, errno.EPERM) else StoreError
            raise cls(f"cannot write the store in {self.home.root}: {os_reason(e)}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            self._local.depth = 1
            yield
        finally:
            self._local.depth = 0
            os.close(fd)  # closing releases the lock

    @contextmanager
    def transaction(self) -> Iterator[Store]:
        """The lock held across several reads and writes (import: check, write curves, add records)."""
        if self.read_only:
            raise StoreError(f"cannot write the store in {self.home.root}: the home folder is read-only")
        with self._locked():
            yield self

    # -- opening ---------------------------------------------------------------
    def _open(self) -> None:
        """Under the lock: clean up, convert an old store, check the index against the group files."""
        try:
            self.groups_dir.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise StoreError(f"cannot create {self.groups_dir}: {os_reason(e)}") from None
        for folder, pattern in (
            (self.home.root, ".store.json.*.tmp"),
            (self.dir, ".*.tmp"),
            (self.groups_dir, ".*.tmp"),
        ):
            for tmp in folder.glob(pattern):  # under the lock, no live writer has one
                try:
                    tmp.unlink()
                except OSError:
                    pass
        groups = self._checked_index(write=True)
        if os.path.lexists(self.home.store_file):
            self._convert(groups)

    def _open_read_only(self) -> None:
        self._checked_index(write=False)
        if os.path.lexists(self.home.store_file):
            try:
                tables = read_store_file(self.home.store_file) or {}
            except StoreError as e:
                self.damage = str(e)
                return
            known = set(self._ids())
            index = dict(self._index_cache[1])
            for gid, new in partition(tables).items():
                if gid != LOOSE and gid not in index:
                    self._memory[gid], _ = merge(None, new, known)
                    index[gid] = group_entry(self._memory[gid])
            self._index_cache = (self._index_cache[0], index)

    def _checked_index(self, write: bool) -> dict[str, dict]:
        """The index, checked against the group files: a file it lacks is added, an entry without a
        file dropped, an entry whose file changed since (a crash between two writes, a hand edit)
        recomputed, an active group re-read. Written back if anything changed (and `write`)."""
        try:
            got = read_index(self.index_path)
        except StoreError as e:
            got = None
            if write:
                self._set_aside(self.index_path, e, "rebuilt from the group files")
            else:
                self.damage = str(e)
        groups, changed = (dict(got[0]), False) if got else ({}, True)
        on_disk: dict[str, list] = {}
        odd: list[tuple[str, Path, str]] = []  # a group's entry that is no regular file
        try:
            with os.scandir(self.groups_dir) as it:
                for e in it:
                    gid = e.name[:-5]
                    if not (e.name.endswith(".json") and is_id(gid)):
                        continue
                    try:
                        st = e.stat(follow_symlinks=False)
                    except FileNotFoundError:
                        continue  # removed meanwhile
                    if stat.S_ISREG(st.st_mode):
                        on_disk[gid] = [st.st_ino, st.st_mtime_ns, st.st_size]
                    else:
                        odd.append((gid, Path(e.path), _kind(st.st_mode)))
        except FileNotFoundError:
            pass
        for gid, path, kind in odd:  # never opened (a FIFO would block): set aside, or reported
            error = StoreError(f"{path} is not a regular file (a {kind})")
            if write:
                self._set_aside(path, error, f"the runs of group '{gid}' are no longer listed (their curves stay)")
            elif self.damage is None:
                self.damage = str(error)
        for gid in [g for g in groups if g not in on_disk]:
            del groups[gid]
            changed = True
        for gid, sig in on_disk.items():
            old = groups.get(gid)
            if old is not None and not old["active"] and old["sig"] == sig:
                continue
            tables = self._read_group_file(gid, own_index=write)
            if tables is None:
                changed |= groups.pop(gid, None) is not None
                continue
            new = group_entry(tables[0])
            if new["active"] and old is not None and old["active"] and set(entry_ids(new)) <= set(entry_ids(old)):
                continue  # an active group's counts move with every status change: its file says them
            new["sig"] = None if new["active"] else list(tables[1])
            if new != old:
                groups[gid], changed = new, True
        if changed and write:
            self._write_index(groups)
        else:
            self._index_cache = (got[1] if got else None, groups)
        return groups

    def _convert(self, groups: dict[str, dict]) -> None:
        """Under the lock: the single-file store of earlier versions into group files, then set aside."""
        old = self.home.store_file
        try:
            tables = read_store_file(old) or {}
        except StoreError as e:
            self._set_aside(old, e, "a fresh store was started" if not groups else "the records already converted stay")
            return
        known = {rid for e in groups.values() for rid in entry_ids(e)}
        loose = self._read_loose()
        known |= {usable_id(d) for d in (loose[0] if loose else {}).get("runs", {}).values()} - {None}
        moved, parts = 0, partition(tables)
        for gid, new in parts.items():
            path = self.loose_path if gid == LOOSE else self.home.group_file(gid)
            current = self._read_group_file(gid, own_index=True) if gid != LOOSE else self._read_loose()
            merged, added = merge(current[0] if current else None, new, known)
            if added:
                self._flush(path, merged)
                moved += added
            if gid != LOOSE:
                groups[gid] = {**group_entry(merged), "sig": list(file_sig(path) or [0, 0, 0])}
                if groups[gid]["active"]:
                    groups[gid]["sig"] = None
        self._write_index(groups)
        try:
            aside = set_aside(old, "converted")
        except OSError as e:
            raise StoreError(f"{old} was converted but could not be set aside ({os_reason(e)})") from None
        n_groups = len(parts) - (LOOSE in parts)
        self.notices.append(
            f"converted {old.name} ({moved} records, {n_groups} groups) to one file per group in {self.dir}; "
            f"the old file is kept as {aside}"
        )

    def _set_aside(self, path: Path, error: StoreError, then: str) -> None:
        try:
            aside = set_aside(path)
        except OSError as oe:
            raise StoreError(f"{error}; it could not be set aside ({os_reason(oe)})") from None
        self.recovered_from, self.damage = aside, str(error)
        self.notices.append(f"{error}: it was kept as {aside}; {then}")

    # -- files -----------------------------------------------------------------
    def _group_path(self, gid: str) -> Path:
        return self.home.group_file(gid)

    def _read_group_file(self, gid: str, own_index: bool = False) -> tuple[dict, tuple] | None:
        """(tables, signature) of a group's file; None if it has none or it is damaged (then it is
        set aside, under the lock, and reported, and its index entry dropped unless the caller,
        `own_index`, rewrites the index itself; in a read-only home only reported)."""
        if gid in self._memory:
            return self._memory[gid], (0, 0, 0)
        path = self._group_path(gid)
        try:
            return read_store_file_sig(path)
        except StoreError as e:
            if self.read_only:
                self.damage = str(e)
                return None
            with self._locked():
                try:
                    return read_store_file_sig(path)  # replaced by a writer meanwhile
                except StoreError:
                    self._set_aside(path, e, f"the runs of group '{gid}' are no longer listed (their curves stay)")
                    if not own_index:
                        groups = dict(self._index_now())
                        if groups.pop(gid, None) is not None:
                            self._write_index(groups)
                    return None

    def _read_loose(self) -> tuple[dict, tuple] | None:
        try:
            return read_store_file_sig(self.loose_path)
        except StoreError as e:
            if self.read_only:
                self.damage = str(e)
                return None
            with self._locked():
                self._set_aside(self.loose_path, e, "the unsorted records in it are no longer listed")
            return None

    def _flush(self, path: Path, tables: dict) -> None:
        storage = BufferedStorage(path, tables)
        storage.dirty = True
        storage.flush()

    def _remove(self, path: Path) -> None:
        remove_file(path)

    # -- the index ---------------------------------------------------------------
    def _write_index(self, groups: dict[str, dict]) -> None:
        write_index(self.index_path, groups)
        self._index_cache = (file_sig(self.index_path), groups)

    def _index_now(self) -> dict[str, dict]:
        """The index as the file says now (one stat when it did not change): under the lock, exact;
        for a reader without it, a consistent snapshot."""
        cached_sig, groups = self._index_cache
        if self.read_only:
            sig = file_sig(self.index_path)
            if sig != cached_sig and sig is not None:
                return self._checked_index(write=False)
            return groups
        sig = file_sig(self.index_path)
        if sig is not None and sig == cached_sig:
            return groups
        try:
            got = read_index(self.index_path)
        except StoreError:
            with self._locked():
                return self._checked_index(write=True)
        if got is None:
            if sig is None and cached_sig is None:
                return groups
            with self._locked():
                return self._checked_index(write=True)
        self._index_cache = (got[1], got[0])
        return got[0]

    def index(self) -> dict[str, dict]:
        """{group id: index entry} (store/index.py): study, name, times, counts, run ids, tags. Do not modify."""
        return self._index_now()

    def _ids(self) -> dict[str, str]:
        """Run id -> group id of every run the index lists (rebuilt when the index changes)."""
        groups = self._index_now()
        of, ids = self._ids_cache
        if of is not groups:
            ids = {rid: gid for gid, e in groups.items() for rid in e["ids"].split()}
            self._ids_cache = (groups, ids)
        return ids

    # -- files of runs ------------------------------------------------------------
    def metrics_path(self, run_id: str) -> Path:
        return self.home.run_dir(run_id) / "metrics.jsonl"

    def metrics(self, run_id: str) -> list[dict]:
        return read_metrics(self.metrics_path(run_id))


def _kind(mode: int) -> str:
    """What a non-regular file is, in a user's words."""
    for test, name in (
        (stat.S_ISDIR, "folder"),
        (stat.S_ISFIFO, "FIFO"),
        (stat.S_ISSOCK, "socket"),
        (stat.S_ISLNK, "link"),
        (stat.S_ISCHR, "device"),
        (stat.S_ISBLK, "device"),
    ):
        if test(mode):
            return name
    return "special file"


class _NoLock(StoreError):
    """The lock file cannot be opened for writing: the home is read-only."""
