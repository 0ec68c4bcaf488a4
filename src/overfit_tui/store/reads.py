"""Reading the store without its lock: runs (filtered by study, group, status, tag and time,
opening only the groups that can match), one run, group records, unreadable records, and
references (a run id, a group id or a unique prefix of one). Part of `Store`.

Records come out typed: `RunRecord` and `GroupRecord` (core/records.py), read from the stored
tables after the schema check; what is on disk is unchanged."""

from __future__ import annotations

from collections.abc import Iterator

from overfit_tui.core.errors import RefError, printable
from overfit_tui.core.ids import ID_RULE, is_id
from overfit_tui.core.records import GroupRecord, RunRecord
from overfit_tui.store.query import RunFilter
from overfit_tui.store.schema import GROUP_FIELDS, RUN_FIELDS, BadRecord, record_problem, usable_id
from overfit_tui.store.storage import MALFORMED

REF_SHOWN = 8  # candidates listed when a reference is ambiguous


def _order(rec: RunRecord) -> tuple:
    return (rec.created, rec.index)


class StoreReads:
    """The reading half of `Store` (see store.py for the layout and the guarantees)."""

    def _tables(self, gid: str) -> dict:
        got = self._read_group_file(gid)
        return got[0] if got else {}

    def _valid_runs(self, gid: str, tables: dict | None = None) -> list[RunRecord]:
        tables = self._tables(gid) if tables is None else tables
        out = [RunRecord.from_dict(r) for r in tables.get("runs", {}).values() if record_problem(r) is None]
        for r in out:
            self._hint[r.id] = gid
        return sorted(out, key=_order)

    def iter_runs(self, flt: RunFilter | None = None, newest_first: bool = False) -> Iterator[RunRecord]:
        """Matching runs group by group (groups by creation time, runs by creation and index),
        reading only the groups whose index entry can match: memory stays at one group."""
        flt = flt or RunFilter()
        index = self._index_now()
        if flt.group:
            gids = [flt.group] if flt.group in index else []
        else:
            gids = sorted(index, key=lambda g: (index[g]["created"], g), reverse=newest_first)
        for gid in gids:
            if not flt.may_match(gid, index[gid]):
                continue
            runs = [r for r in self._valid_runs(gid) if flt.matches(r)]
            yield from reversed(runs) if newest_first else runs

    def runs(self, group: str | None = None, **filters) -> list[RunRecord]:
        """Every readable run record (of one group, or matching `RunFilter` fields), oldest first;
        unreadable ones are in `problems()`."""
        if group is not None and not filters:
            return self._valid_runs(group) if group in self._index_now() else []
        return sorted(self.iter_runs(RunFilter(group=group, **filters)), key=_order)

    def group_runs(self, gid: str) -> tuple[GroupRecord | None, list[RunRecord]]:
        """A group's record and its readable runs, from one read of its file."""
        tables = self._tables(gid)
        grec = next(
            (
                GroupRecord.from_dict(g)
                for g in tables.get("groups", {}).values()
                if record_problem(g, GROUP_FIELDS) is None
            ),
            None,
        )
        return grec, self._valid_runs(gid, tables)

    def group(self, gid: str) -> GroupRecord | None:
        return self.group_runs(gid)[0] if is_id(gid) and gid in self._index_now() else None

    def groups(self) -> list[GroupRecord]:
        """Every readable group record, oldest first (this opens every group's file)."""
        out = [g for g in (self.group(gid) for gid in self._index_now()) if g is not None]
        return sorted(out, key=lambda g: g.created)

    def active_groups(self) -> list[str]:
        """Groups with queued or running runs (or that had them when last checked), oldest first."""
        index = self._index_now()
        return sorted((g for g, e in index.items() if e["active"]), key=lambda g: index[g]["created"])

    def get_run(self, run_id: str) -> RunRecord | None:
        """A readable run by id: one group's file is read (the index says which)."""
        tried = None
        for gid in (self._hint.get(run_id), None):
            gid = gid or self._ids().get(run_id)
            if gid is None or gid == tried:
                continue
            tried = gid
            for rec in self._tables(gid).get("runs", {}).values():
                if rec.get("id") == run_id and record_problem(rec) is None:
                    self._hint[run_id] = gid
                    return RunRecord.from_dict(rec)
            self._hint.pop(run_id, None)
        return None

    def run_ids(self) -> set[str]:
        """Every run id the index lists, readable or not (possibly one just removed, never one missing)."""
        return set(self._ids())

    def stored_ids(self, run_ids: list[str]) -> set[str]:
        """Those of `run_ids` that are stored, readable or not (their group files are read to be sure)."""
        ids, wanted, out = self._ids(), set(run_ids), set()
        for gid in {ids[r] for r in wanted if r in ids}:
            out |= {d.get("id") for d in self._tables(gid).get("runs", {}).values()} & wanted
        loose = self._read_loose()
        if loose:
            out |= {d.get("id") for d in loose[0].get("runs", {}).values()} & wanted
        return out

    def problems(self) -> list[BadRecord]:
        """Records that break the schema, with where and why (readers skip them). Opens only the
        groups the index says hold one (and active groups), and the unsorted records."""
        out = []
        index = self._index_now()
        sources = [(self._group_path(g), self._tables(g)) for g, e in index.items() if e["bad"] or e["active"]]
        loose = self._read_loose()
        if loose:
            sources.append((self.loose_path, loose[0]))
        for path, tables in sources:
            for table, fields in (("runs", RUN_FIELDS), ("groups", GROUP_FIELDS)):
                for doc_id, rec in tables.get(table, {}).items():
                    problem = record_problem(rec.get(MALFORMED, rec), fields)
                    if problem:
                        out.append(BadRecord(table, doc_id, usable_id(rec), *problem, where=str(path)))
        return out

    def resolve_group(self, ref: str) -> str:
        """The group a `--group` value names: its id, or a prefix of exactly one group's id."""
        index = self._index_now()
        if ref in index:
            return ref
        groups = sorted(g for g in index if g.startswith(ref))
        if len(groups) == 1:
            return groups[0]
        if not groups:
            raise RefError(
                f"--group '{printable(ref, 80)}': no group's id starts with it (overfit-tui runs lists them)"
            )
        more = f", and {len(groups) - REF_SHOWN} more" if len(groups) > REF_SHOWN else ""
        raise RefError(
            f"--group '{printable(ref, 80)}' matches {len(groups)} groups: {', '.join(groups[:REF_SHOWN])}{more}; "
            "give more of the id"
        )

    def resolve(self, ref: str) -> list[RunRecord]:
        """The runs a reference names: a run id, a group id, or a prefix of exactly one of them.

        The empty string names nothing; a prefix of several runs or groups is an error listing them."""
        if not ref:
            raise RefError("an empty reference names nothing: give a run or group id (a unique prefix is enough)")
        if not is_id(ref):
            raise RefError(f"'{printable(ref, 80)}' is not a run or group id: {ID_RULE}")
        run = self.get_run(ref)
        if run is not None:
            return [run]
        index = self._index_now()
        if ref in index:
            runs = self.runs(ref)
            if runs:
                return runs
        bad = {b.id for b in self.problems() if b.table == "runs" and b.id}
        ids = sorted(r for r in self._ids() if r.startswith(ref) and r not in bad)
        groups = sorted(g for g, e in index.items() if g.startswith(ref) and sum(e["counts"].values()))
        if len(ids) + len(groups) == 1:
            found = [self.get_run(ids[0])] if ids else self.runs(groups[0])
            if all(found) and found:
                return found
        if not ids and not groups:
            raise RefError(f"no run or group matches '{ref}'")
        names = [f"run {i}" for i in ids] + [f"group {g}" for g in groups]
        more = f", and {len(names) - REF_SHOWN} more" if len(names) > REF_SHOWN else ""
        raise RefError(
            f"'{ref}' matches {len(names)} runs and groups: {', '.join(names[:REF_SHOWN])}{more}; give more of the id"
        )
