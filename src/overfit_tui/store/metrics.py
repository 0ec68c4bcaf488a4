"""Per-run metric logs: JSON lines appended to runs/<id>/metrics.jsonl.

Appending costs O(1) per point (TinyDB would rewrite the whole store per write). Readers
take complete lines only, so a worker killed mid-line loses at most that line, and
`MetricTail` reads only what was appended since its last call. A line that is not an
event (a torn write, NUL bytes after a power cut, invalid UTF-8, a bare number) is
skipped and counted in `MetricTail.bad`; a metrics "file" that is not a regular file
reads as empty.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from overfit_tui.core.events import event_to_dict
from overfit_tui.core.paths import open_regular


class MetricWriter:
    """Appends events of one run; each line is one write() on an O_APPEND file."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)

    def write(self, event) -> None:
        d = event if isinstance(event, dict) else event_to_dict(event)
        os.write(self._fd, (json.dumps(d) + "\n").encode())

    def close(self) -> None:
        os.close(self._fd)


def read_metrics(path: Path) -> list[dict]:
    return MetricTail(path).read_new()


def read_metrics_counted(path: Path) -> tuple[list[dict], int]:
    """Every event of a metrics file, and how many lines were skipped as damaged."""
    tail = MetricTail(path)
    return tail.read_new(), tail.bad


def parse_event(line: bytes) -> dict | None:
    """One metrics line as an event dict, or None if it is not one."""
    try:
        ev = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return None
    return ev if isinstance(ev, dict) and isinstance(ev.get("kind"), str) else None


class MetricTail:
    """Incremental reader: each `read_new()` returns the complete lines appended since the last."""

    def __init__(self, path: Path):
        self.path, self.offset = Path(path), 0
        self.bad = 0  # lines skipped because they were not events

    def read_new(self) -> list[dict]:
        try:
            with open_regular(self.path) as f:
                f.seek(self.offset)
                chunk = f.read()
        except OSError:
            return []  # not written yet, unreadable, or not a file (a folder, a FIFO)
        end = chunk.rfind(b"\n")
        if end < 0:
            return []
        self.offset += end + 1
        out = []
        for line in chunk[: end + 1].splitlines():
            line = line.strip(b"\x00 \t\r")  # a power cut can leave NUL bytes before the next append
            if not line:
                continue
            ev = parse_event(line)
            if ev is None:
                self.bad += 1  # a torn line from a killed writer, or damage
            else:
                out.append(ev)
        return out
