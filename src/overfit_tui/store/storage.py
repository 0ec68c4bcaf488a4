"""A TinyDB storage whose writes are atomic (temporary file, fsync, rename).

A crash at any point leaves either the old or the new file, never a torn one. A file
that does not parse raises `StoreError`; the Store decides what to do with it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from tinydb.storages import Storage

from overfit_tui.core.errors import StoreError


def atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


class AtomicJSONStorage(Storage):
    """JSON file storage for TinyDB with atomic replace-on-write."""

    def __init__(self, path: str | Path):
        self.path = Path(path)

    def read(self):
        try:
            text = self.path.read_text()
        except FileNotFoundError:
            return None
        if not text.strip():
            raise StoreError(f"{self.path} is empty (a store file is never written empty)")
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise StoreError(f"{self.path} does not parse: {e}") from None
        if not isinstance(data, dict):
            raise StoreError(f"{self.path} is not a TinyDB store (top level is not a table map)")
        return data

    def write(self, data) -> None:
        atomic_write(self.path, json.dumps(data, sort_keys=True))

    def close(self) -> None:
        pass
