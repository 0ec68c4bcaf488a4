"""TinyDB storages whose writes are atomic (temporary file, fsync, rename), and the file
operations of the store (reading a TinyDB file, setting a damaged file aside, removing one).

A crash at any point leaves either the old or the new file, never a torn one. A file
that is not a store (does not parse, is not UTF-8, is not a map of tables, is not a
regular file) raises `StoreError`; the Store sets it aside. A single entry that is not a
record (a number, a list, a key TinyDB cannot use) is kept, wrapped as
{"_malformed": value, "_key": key}, so every reader can report and skip it and `rm` can
remove it; the rest of the store stays usable. Writing errors (full disk, read-only
home) become `StoreError`s that say so.
"""

from __future__ import annotations

import errno
import json
import os
import time
from pathlib import Path

from tinydb.storages import Storage

from overfit_tui.core.errors import StoreError
from overfit_tui.core.ids import suffix
from overfit_tui.core.paths import NotRegularFile, open_regular

MALFORMED = "_malformed"


def os_reason(e: OSError) -> str:
    """A short reason for an OSError a user can act on."""
    if e.errno == errno.ENOSPC:
        return "no space left on the device"
    if e.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return "the home folder is read-only (or not ours)"
    return e.strerror or str(e)


def atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{suffix()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as e:
        try:
            tmp.unlink()
        except OSError:
            pass
        raise StoreError(f"cannot write {path}: {os_reason(e)}") from e
    fsync_dir(path.parent)


def fsync_dir(folder: Path) -> None:
    """Make a rename or unlink in `folder` durable."""
    try:
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError:
        pass  # the rename is done; a directory that cannot be fsynced (some file systems) is no error


def remove_file(path: Path) -> None:
    """Delete a store file durably (a missing one is no error)."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        return
    except OSError as e:
        raise StoreError(f"cannot remove {path}: {os_reason(e)}") from e
    fsync_dir(path.parent)


def set_aside(path: Path, kind: str = "damaged") -> Path:
    """Rename `path` to `<name>.<kind>-<time>-<random>` beside it (never over another file); returns the new path."""
    aside = path.with_name(f"{path.name}.{kind}-{time.strftime('%Y%m%d-%H%M%S')}-{suffix()}")
    os.rename(path, aside)
    fsync_dir(path.parent)
    return aside


def file_sig(path: Path) -> tuple[int, int, int] | None:
    """(inode, mtime in ns, size) of a file, None if there is none: every atomic write changes it."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


def read_store_file(path: Path) -> dict | None:
    """The store's tables ({table: {doc_id: record}}), None if there is no file, StoreError if it is no store."""
    got = read_store_file_sig(path)
    return None if got is None else got[0]


def read_regular_sig(path: Path) -> tuple[bytes, tuple[int, int, int]] | None:
    """A regular file's bytes and the signature (inode, mtime, size) of the very file read;
    None if it does not exist; StoreError (one line) if it is not a regular file or unreadable."""
    try:
        with open_regular(path) as f:
            st = os.fstat(f.fileno())
            raw = f.read()
    except FileNotFoundError:
        return None
    except NotRegularFile:
        raise StoreError(f"{path} is not a regular file") from None
    except OSError as e:
        raise StoreError(f"{path} cannot be read ({os_reason(e)})") from None
    return raw, (st.st_ino, st.st_mtime_ns, st.st_size)


def read_store_file_sig(path: Path) -> tuple[dict, tuple[int, int, int]] | None:
    """`read_store_file`, with the signature (`file_sig`) of the very file that was read."""
    got = read_regular_sig(path)
    if got is None:
        return None
    raw, sig = got
    if not raw.strip():
        raise StoreError(f"{path} is empty (a store file is never written empty)")
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as e:
        raise StoreError(f"{path} is not UTF-8 text (byte {e.start})") from None
    except json.JSONDecodeError as e:
        raise StoreError(f"{path} does not parse: {e}") from None
    except RecursionError:
        raise StoreError(f"{path} does not parse: nested too deeply") from None
    if not isinstance(data, dict):
        raise StoreError(f"{path} is not a TinyDB store (top level is not a table map)")
    for name, table in data.items():
        if not isinstance(table, dict):
            raise StoreError(f"{path} is not a TinyDB store (table '{name}' is a {type(table).__name__}, not a map)")
    return {name: _usable_table(table) for name, table in data.items()}, sig


def _usable_table(table: dict) -> dict:
    """Entries TinyDB can hold: integer keys (an odd key gets a fresh one) and dict values (others wrapped)."""
    out, odd = {}, []
    for key, doc in table.items():
        if key.isdecimal() and isinstance(doc, dict):
            out[key] = doc
        else:
            odd.append((key, doc))
    next_id = max((int(k) for k in out), default=0) + 1
    for key, doc in odd:
        new_key = key if key.isdecimal() and key not in out else str(next_id)
        next_id = max(next_id, int(new_key)) + 1
        out[new_key] = doc if isinstance(doc, dict) else {MALFORMED: doc, "_key": key}
    return out


def dump(data: dict) -> str:
    return json.dumps(data, separators=(",", ":"))


class AtomicJSONStorage(Storage):
    """JSON file storage for TinyDB with atomic replace-on-write."""

    def __init__(self, path: str | Path):
        self.path = Path(path)

    def read(self):
        return read_store_file(self.path)

    def write(self, data) -> None:
        atomic_write(self.path, dump(data))

    def close(self) -> None:
        pass


class BufferedStorage(Storage):
    """A TinyDB file read once and written once: TinyDB works on the tables in memory (every
    table operation reads and writes the whole storage), `flush()` writes them atomically.
    Used under the store's lock, so nothing changes the file in between."""

    def __init__(self, path: str | Path, tables: dict | None = None):
        self.path = Path(path)
        self.tables, self.loaded, self.dirty = tables, tables is not None, False

    def read(self):
        if not self.loaded:
            self.tables, self.loaded = read_store_file(self.path), True
        return self.tables

    def write(self, data) -> None:
        self.tables, self.loaded, self.dirty = data, True, True

    def flush(self) -> None:
        if self.dirty:
            atomic_write(self.path, dump(self.tables or {}))
            self.dirty = False

    def close(self) -> None:
        pass
