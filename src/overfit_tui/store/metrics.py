"""Per-run metric logs: JSON lines appended to runs/<id>/metrics.jsonl.

Appending costs O(1) per point (TinyDB would rewrite the whole store per write). Readers
take complete lines only, so a worker killed mid-line loses at most that line, and
`MetricTail` reads only what was appended since its last call.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from overfit_tui.core.events import event_to_dict


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


class MetricTail:
    """Incremental reader: each `read_new()` returns the complete lines appended since the last."""

    def __init__(self, path: Path):
        self.path, self.offset = Path(path), 0

    def read_new(self) -> list[dict]:
        try:
            with open(self.path, "rb") as f:
                f.seek(self.offset)
                chunk = f.read()
        except FileNotFoundError:
            return []
        end = chunk.rfind(b"\n")
        if end < 0:
            return []
        self.offset += end + 1
        out = []
        for line in chunk[: end + 1].splitlines():
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:
                continue  # a torn line from a killed writer
        return out
