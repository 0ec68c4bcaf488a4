"""Every stored run as a light row, for the Runs screen (no Textual): loaded group by group,
newest first, off the event loop; filtered by words; shown a page at a time, so 10,000 runs
cost a page of table rows, and about a kilobyte each in memory (no full spec, provenance or
traceback: a view that needs them reads the run's group).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

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


Row = tuple[RunRecord, dict]  # a light record and its queryable fields (core.where.record_fields)


def row_of(rec: RunRecord) -> Row:
    """A light row and the fields a query reads (the spec's leaves as dotted keys: `train.lr>=0.01`),
    taken from the full record before its spec is trimmed."""
    return light(rec), record_fields(rec, flatten(rec.spec_data))


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
        self.rows: dict[str, RunRecord] = {}
        self.fields: dict[str, dict] = {}  # each row's queryable fields, by run id
        self.done = False  # every group has been read
        self.page, self.page_size = 0, page_size
        self._version, self._shown = 0, (None, [])  # filtered rows, kept until rows or filter change
        self._known = (-1, set())  # the fields some row has, kept until the rows change

    def add(self, rows: list[Row]) -> None:
        for r, fields in rows:
            self.rows[r.id], self.fields[r.id] = r, fields
        self._version += bool(rows)

    def put(self, row: RunRecord) -> None:
        """One row changed here (tags or a note the user just set)."""
        self.rows[row.id] = row
        self.fields.setdefault(row.id, {})["tag"] = list(row.tags)
        self._version += 1

    def live(self, records: dict[str, RunRecord]) -> None:
        """Fresher records (the app's cache: active and shown groups) replace their rows."""
        for rid, rec in records.items():
            row = light(rec)
            if self.rows.get(rid) != row:
                self.rows[rid], self.fields[rid] = row, record_fields(rec, flatten(rec.spec_data))
                self._version += 1

    def shown(self, keep: Callable[[RunRecord], bool], key: object = None) -> list[RunRecord]:
        """Every loaded row that `keep` accepts, newest first; `key` names the filter (for reuse)."""
        if key is not None and self._shown[0] == (key, self._version):
            return self._shown[1]
        rs = sorted((r for r in self.rows.values() if keep(r)), key=lambda r: (-r.created, r.index))
        self._shown = ((key, self._version), rs)
        return rs

    def known(self) -> set[str]:
        """Every field a query may name: those of some loaded row."""
        if self._known[0] != self._version:
            self._known = (self._version, known_fields(self.fields.values()))
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
