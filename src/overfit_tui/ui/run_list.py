"""Every stored run as a light row, for the Runs screen (no Textual): loaded group by group,
newest first, off the event loop; filtered by words; shown a page at a time, so 10,000 runs
cost a page of table rows, and about a kilobyte each in memory (no full spec, provenance or
traceback: a view that needs them reads the run's group).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

from overfit_tui.core.records import RunRecord
from overfit_tui.core.where import flatten, known_fields, record_fields

PAGE = 200  # rows in the table at once


def light(rec: RunRecord) -> RunRecord:
    """What a row shows and a filter reads: no full spec (its data, model and epoch budget only),
    provenance or traceback."""
    spec = rec.spec_data
    return rec.replace(
        spec_data={
            "study": spec.get("study", rec.study),
            "label": spec.get("label", rec.label),
            "data": {"name": (spec.get("data") or {}).get("name", "")},
            "model": {"name": (spec.get("model") or {}).get("name", "")},
            "train": {"epochs": (spec.get("train") or {}).get("epochs", 1)},
        },
        provenance={},
        error=None,
    )


@dataclass(frozen=True)
class Row:
    """One run as the Runs screen lists it: its light record and what a filter reads, taken from
    the full record before its spec is trimmed."""

    rec: RunRecord  # light (see `light`): what the table shows
    data: str  # its data set's name (a filter's bare word may match it)
    model: str  # its model's name
    fields: dict  # what a query term reads: the spec's leaves as dotted keys (`train.lr`), results, tags

    @property
    def id(self) -> str:
        return self.rec.id


def row_of(rec: RunRecord) -> Row:
    """A run's row, read from the stored spec's table: typing the spec would cost about 0.45 ms
    a run (measured on 2 loaded cores), 4 s for 10,000 rows."""
    flat = flatten(rec.spec_data)
    return Row(light(rec), str(flat.get("data.name", "")), str(flat.get("model.name", "")), record_fields(rec, flat))


def load_rows(store, batch_runs: int = 500) -> Iterator[list[Row]]:
    """Light rows of every run, newest groups first, in batches (for a background worker)."""
    batch: list[Row] = []
    for rec in store.iter_runs(newest_first=True):
        batch.append(row_of(rec))
        if len(batch) >= batch_runs:
            yield batch
            batch = []
    if batch:
        yield batch


class RunList:
    """The rows loaded so far, the live records that override them, and the page shown."""

    def __init__(self, page_size: int = PAGE):
        self.rows: dict[str, Row] = {}  # by run id
        self.done = False  # every group has been read
        self.page, self.page_size = 0, page_size
        self._version, self._shown = 0, (None, [])  # filtered rows, kept until rows or filter change
        self._known = (-1, set())  # the fields some row has, kept until the rows change

    def add(self, rows: list[Row]) -> None:
        for r in rows:
            self.rows[r.id] = r
        self._version += bool(rows)

    def put(self, rec: RunRecord) -> None:
        """One row's record changed here (tags or a note the user just set)."""
        old = self.rows[rec.id]
        self.rows[rec.id] = replace(old, rec=rec, fields={**old.fields, "tag": list(rec.tags)})
        self._version += 1

    def live(self, records: dict[str, RunRecord]) -> None:
        """Fresher records (the app's cache: active and shown groups) replace their rows."""
        for rid, rec in records.items():
            old = self.rows.get(rid)
            if old is None or old.rec != light(rec):
                self.rows[rid] = row_of(rec)
                self._version += 1

    def shown(self, keep: Callable[[Row], bool], key: object = None) -> list[RunRecord]:
        """The record of every loaded row that `keep` accepts, newest first; `key` names the
        filter (for reuse)."""
        if key is not None and self._shown[0] == (key, self._version):
            return self._shown[1]
        rs = sorted((r.rec for r in self.rows.values() if keep(r)), key=lambda r: (-r.created, r.index))
        self._shown = ((key, self._version), rs)
        return rs

    def known(self) -> set[str]:
        """Every field a query may name: those of some loaded row."""
        if self._known[0] != self._version:
            self._known = (self._version, known_fields(r.fields for r in self.rows.values()))
        return self._known[1]

    def page_of(self, rows: list[RunRecord]) -> list[RunRecord]:
        pages = max(1, -(-len(rows) // self.page_size))
        self.page = min(max(self.page, 0), pages - 1)
        return rows[self.page * self.page_size : (self.page + 1) * self.page_size]

    def where(self, n: int) -> str:
        """'rows 201-400 of 9,812' for `n` rows shown in pages."""
        if n <= self.page_size:
            return f"{n:,} runs"
        lo = self.page * self.page_size
        return f"rows {lo + 1:,}-{min(n, lo + self.page_size):,} of {n:,} ([ ] pages)"
