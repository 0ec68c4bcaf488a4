"""Per-run metric logs: JSON lines appended to runs/<id>/metrics.jsonl, and thinning a run's
events to a bounded number that keeps every spike.

Appending costs O(1) per point (TinyDB would rewrite the whole store per write). Readers
take complete lines only, so a worker killed mid-line loses at most that line, and
`MetricTail` reads only what was appended since its last call. A line that is not an
event (a torn write, NUL bytes after a power cut, invalid UTF-8, a bare number) is
skipped and counted in `MetricTail.bad`; a metrics "file" that is not a regular file
reads as empty. A last line without its newline is a write in progress while the run is
active, and a torn write once it has ended: `read_metrics_counted(path, ended=True)` counts it.
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


def read_metrics_counted(path: Path, ended: bool = True) -> tuple[list[dict], int]:
    """Every event of a metrics file, and how many lines were skipped as damaged (with a torn last
    line, unless the run has not `ended`: then it is a write in progress)."""
    tail = MetricTail(path)
    events = tail.read_new()
    return events, tail.bad + (1 if ended and tail.partial else 0)


def parse_event(line: bytes) -> dict | None:
    """One metrics line as an event dict, or None if it is not one."""
    try:
        ev = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return None
    return ev if isinstance(ev, dict) and isinstance(ev.get("kind"), str) else None


class MetricTail:
    """Incremental reader: each `read_new()` returns the complete lines appended since the last.
    A file whose size and modification time did not change is not opened (one stat)."""

    def __init__(self, path: Path):
        self.path, self.offset = Path(path), 0
        self.bad = 0  # lines skipped because they were not events
        self.partial = False  # the file ends in a line without its newline (in progress, or torn)
        self._seen: tuple[int, int] | None = None  # (size, mtime) at the last read

    def read_new(self) -> list[dict]:
        try:
            st = os.stat(self.path)
        except OSError:
            return []
        if (st.st_size, st.st_mtime_ns) == self._seen:
            return []
        self._seen = (st.st_size, st.st_mtime_ns)
        try:
            with open_regular(self.path) as f:
                f.seek(self.offset)
                chunk = f.read()
        except OSError:
            return []  # not written yet, unreadable, or not a file (a folder, a FIFO)
        end = chunk.rfind(b"\n")
        self.partial = bool(chunk[end + 1 :].strip(b"\x00 \t\r\n"))
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


THIN_FIELDS = ("train_loss", "test_loss", "train_acc", "test_acc")  # what curves are drawn from


def thin_events(events: list[dict], limit: int) -> list[dict]:
    """At most about `limit` events, for a bounded memory: each kind of time series (step, eval)
    is cut into buckets of consecutive events and each bucket keeps the events that hold the
    minimum and maximum of every curve field (a spike or a NaN survives), and the series keeps its
    first and last event; other events (a study's points) are kept whole. Order is kept."""
    series: dict[str, list[int]] = {}
    for i, e in enumerate(events):
        if e.get("kind") in ("step", "eval"):
            series.setdefault(e["kind"], []).append(i)
    points = len(events) - sum(len(v) for v in series.values())
    budget = max(8, (limit - points) // max(1, len(series)))
    if all(len(v) <= budget for v in series.values()):
        return events
    keep = set(range(len(events))) - {i for v in series.values() for i in v}
    for idx in series.values():
        if len(idx) <= budget:
            keep.update(idx)
            continue
        fields = [f for f in THIN_FIELDS if f in events[idx[-1]]] or ["step"]
        buckets = max(1, budget // (2 * len(fields)))
        keep.update((idx[0], idx[-1]))
        for b in range(buckets):
            seg = idx[b * len(idx) // buckets : (b + 1) * len(idx) // buckets]
            for f in fields:
                vals = [(_num(events[i].get(f)), i) for i in seg]
                keep.add(min(vals)[1])
                keep.add(max(vals)[1])
    return [events[i] for i in sorted(keep)]


def _num(v) -> float:
    """A sortable value: a NaN or a missing value sorts as an extreme, so it is kept."""
    if isinstance(v, bool) or not isinstance(v, (int, float)) or v != v:
        return float("inf")
    return float(v)
