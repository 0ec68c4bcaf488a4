"""Every stored run as a light row, for the Runs screen (no Textual): loaded group by group,
newest first, off the event loop; filtered by words; shown a page at a time, so 10,000 runs
cost a page of table rows, and about a kilobyte each in memory (no full spec, provenance or
traceback: a view that needs them reads the run's group).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from overfit_tui.core.records import RunRecord

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


def load_rows(store, batch_runs: int = 500) -> Iterator[list[RunRecord]]:
    """Light rows of every run, newest groups first, in batches (for a background worker)."""
    batch: list[RunRecord] = []
    for rec in store.iter_runs(newest_first=True):
        batch.append(light(rec))
        if len(batch) >= batch_runs:
            yield batch
            batch = []
    if batch:
        yield batch


class RunList:
    """The rows loaded so far, the live records that override them, and the page shown."""

    def __init__(self, page_size: int = PAGE):
        self.rows: dict[str, RunRecord] = {}
        self.done = False  # every group has been read
        self.page, self.page_size = 0, page_size
        self._version, self._shown = 0, (None, [])  # filtered rows, kept until rows or filter change

    def add(self, rows: list[RunRecord]) -> None:
        for r in rows:
            self.rows[r.id] = r
        self._version += bool(rows)

    def put(self, row: RunRecord) -> None:
        """One row changed here (tags or a note the user just set)."""
        self.rows[row.id] = row
        self._version += 1

    def live(self, records: dict[str, RunRecord]) -> None:
        """Fresher records (the app's cache: active and shown groups) replace their rows."""
        for rid, rec in records.items():
            row = light(rec)
            if self.rows.get(rid) != row:
                self.rows[rid] = row
                self._version += 1

    def shown(self, keep: Callable[[RunRecord], bool], key: object = None) -> list[RunRecord]:
        """Every loaded row that `keep` accepts, newest first; `key` names the filter (for reuse)."""
        if key is not None and self._shown[0] == (key, self._version):
            return self._shown[1]
        rs = sorted((r for r in self.rows.values() if keep(r)), key=lambda r: (-r.created, r.index))
        self._shown = ((key, self._version), rs)
        return rs

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
