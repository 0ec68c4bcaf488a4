"""The per-group layout: an operation on one group opens that group's file only; the index
keeps its promises through every write and is repaired after a crash between two writes or
rebuilt when damaged; an old single-file store is converted on first open, once."""

from __future__ import annotations

import json

import pytest

from overfit_tui.core.errors import RefError, StoreError
from overfit_tui.core.records import GroupRecord, RunRecord
from overfit_tui.core.status import Status
from overfit_tui.store import Store
from overfit_tui.store import store as store_mod
from overfit_tui.store.storage import atomic_write, read_store_file

from ..fault.conftest import group_record, run_record


def _seed(store: Store, groups: int = 6, per: int = 3, status: str = "finished") -> list[str]:
    gids = []
    for g in range(groups):
        gid = f"g{g}-0101-000000-0000000{g}"
        recs = [
            run_record(f"r{g}-{k}", group=gid, index=k, status=status, created=1_700_000_000.0 + g * 100)
            for k in range(per)
        ]
        store.add_group({**group_record(gid), "created": 1_700_000_000.0 + g * 100}, recs)
        gids.append(gid)
    return gids


@pytest.fixture
def reads(monkeypatch):
    """The group files read (by stem) while the test runs."""
    seen: list[str] = []
    real = store_mod.read_store_file_sig

    def counting(path):
        seen.append(path.stem)
        return real(path)

    monkeypatch.setattr(store_mod, "read_store_file_sig", counting)
    return seen


def test_one_group_operations_open_one_group_file(store, reads):
    gids = _seed(store)
    fresh = Store(store.home)
    reads.clear()
    assert fresh.get_run("r3-1").group == gids[3]
    assert fresh.transition("r3-1", ("finished",), status="lost")
    assert len(fresh.runs(gids[4])) == 3
    fresh.modify_runs(["r2-0"], lambda r: r["tags"].append("x") or True)
    assert reads == [gids[3], gids[3], gids[4], gids[2]]
    reads.clear()
    assert [r.id for r in fresh.runs(tag="x")] == ["r2-0"] and reads == [gids[2]]  # the index knows the tags
    reads.clear()
    assert fresh.runs(status=("lost",))[0].id == "r3-1" and reads == [gids[3]]
    with pytest.raises(RefError, match="matches 3 runs"):
        fresh.resolve("r3-")
    assert fresh.problems() == [] and fresh.runs(since=1_700_000_450.0)[0].group == gids[5]


def test_a_status_change_inside_an_active_group_writes_its_file_only(store, monkeypatch):
    (gid,) = _seed(store, groups=1, per=3, status="queued")
    index_writes = []
    real = store._write_index
    monkeypatch.setattr(store, "_write_index", lambda groups: index_writes.append(1) or real(groups))
    assert store.transition("r0-0", ("queued",), status="running", pid=1)
    assert store.transition("r0-0", ("running",), status="finished")
    assert store.transition("r0-1", ("queued",), status="finished")
    assert index_writes == []  # still active: the index is not touched
    assert store.transition("r0-2", ("queued",), status="cancelled")
    assert index_writes == [1]  # the group ended: its counts are written, exact
    entry = Store(store.home).index()[gid]
    assert entry["active"] == 0 and entry["counts"] == {"finished": 2, "cancelled": 1}
    assert entry["sig"] is not None


def test_the_index_is_repaired_after_a_crash_between_two_writes(store):
    gids = _seed(store, groups=2)
    path = store.home.group_file(gids[0])
    tables = read_store_file(path)
    tables["runs"]["1"]["status"] = "failed"  # written, but the index write that follows never happened
    tables["runs"]["9"] = run_record("late-run", group=gids[0])
    atomic_write(path, json.dumps(tables))
    reopened = Store(store.home)
    entry = reopened.index()[gids[0]]
    assert entry["counts"] == {"failed": 1, "finished": 3} and "late-run" in entry["ids"].split()
    assert reopened.get_run("late-run").group == gids[0]
    assert [r.id for r in reopened.runs(status=("failed",))] == ["r0-0"]
    path.unlink()  # a group file gone: its entry goes, the other group stays
    assert set(Store(store.home).index()) == {gids[1]}


def test_a_damaged_or_missing_index_is_rebuilt_from_the_group_files(store):
    gids = _seed(store, groups=3)
    store.index_path.write_text('{"version": 1, "groups": {"x": ')
    again = Store(store.home)
    assert sorted(again.index()) == gids and len(again.runs()) == 9
    assert again.recovered_from.read_text().startswith('{"version"') and "rebuilt" in " ".join(again.notices)
    again.index_path.unlink()
    assert len(Store(store.home).runs()) == 9


def test_an_old_store_file_is_converted_once_and_kept_aside(home):
    recs = [run_record(f"old-{k}", group="g-0101-000000-00000000", index=k) for k in range(3)]
    tables = {
        "runs": {"1": recs[0], "2": recs[1], "3": recs[2], "4": 42, "5": run_record("nogroup", group="../x")},
        "groups": {"1": group_record()},
    }
    home.store_file.write_text(json.dumps(tables))
    original = home.store_file.read_bytes()
    store = Store(home)
    (aside,) = home.root.glob("store.json.converted-*")
    assert aside.read_bytes() == original and not home.store_file.exists()
    assert "converted store.json" in store.notices[0]
    assert [r.id for r in store.runs()] == ["old-0", "old-1", "old-2"]
    assert [g.id for g in store.groups()] == ["g-0101-000000-00000000"]
    assert {(b.id, b.field) for b in store.problems()} == {(None, "record"), ("nogroup", "group")}
    # a crash before the old file was set aside: converting again adds nothing twice
    home.store_file.write_bytes(original)
    again = Store(home)
    assert len(again.runs()) == 3 and len(again.problems()) == 2
    assert store.remove_malformed() == 2 and Store(home).problems() == []


def test_a_stale_hint_or_index_entry_never_loses_a_write(store):
    gids = _seed(store, groups=2, per=1)
    assert store.get_run("r0-0")  # hint: r0-0 lives in gids[0]
    other = Store(store.home)
    other.remove_runs(["r0-0"])
    other.add_runs([run_record("r0-0", group=gids[1], index=5)])  # the same id, now elsewhere
    assert store.transition("r0-0", ("finished",), status="lost")  # the stale hint falls back to the index
    assert Store(store.home).get_run("r0-0").status == "lost"
    with pytest.raises(StoreError, match="already in the store"):
        store.add_runs([run_record("r1-0", group=gids[0])])


def test_a_read_only_home_with_an_old_store_file_is_listed_without_converting_it(home, monkeypatch):
    from contextlib import contextmanager

    recs = [run_record(f"ro-{k}", index=k) for k in range(2)]
    home.store_file.write_text(json.dumps({"runs": {"1": recs[0], "2": recs[1]}, "groups": {"1": group_record()}}))

    @contextmanager
    def no_lock(self):
        raise store_mod._NoLock("read-only")
        yield

    monkeypatch.setattr(Store, "_locked", no_lock)
    store = Store(home)
    assert store.read_only and [r.id for r in store.runs()] == ["ro-0", "ro-1"]
    assert store.get_run("ro-1").index == 1 and [g.id for g in store.groups()] == [recs[0]["group"]]
    assert home.store_file.exists() and not home.store_dir.exists()  # nothing written
    with pytest.raises(StoreError, match="read-only"):
        store.update_run("ro-0", notes="x")


def test_the_store_returns_typed_records_and_leaves_the_files_as_they_were(home):
    """Runs and groups come out typed (RunRecord with a Status and a typed spec, GroupRecord);
    a record of an earlier version (no job, tags, notes, log, ray) loads with today's defaults,
    and reading writes nothing back: the file on disk is unchanged."""
    old = run_record("old-0", index=0)
    for k in ("job", "tags", "notes", "log", "dispatched", "spec_hash"):
        old.pop(k, None)
    grec = {**group_record(), "restart_of": ["old-0"], "preset_path": "/p/x.toml", "launch": {"devices": ["cpu"]}}
    home.store_file.write_text(json.dumps({"runs": {"1": old}, "groups": {"1": grec}}))
    store = Store(home)
    (gfile,) = (home.root / "store" / "groups").glob("*.json")
    before = gfile.read_bytes()
    (run,) = store.runs()
    assert isinstance(run, RunRecord) and run.status is Status(old["status"]) and run.spec.study == "randomization"
    assert (run.job, run.tags, run.notes, run.log, run.ray) == (0, (), "", None, False)
    assert store.get_run("old-0") == run and store.resolve("old-0") == [run]
    (g,) = store.groups()
    assert isinstance(g, GroupRecord) and g.restart_of == ("old-0",) and g.launch == {"devices": ["cpu"]}
    assert g.extra == {"preset_path": "/p/x.toml"} and g.to_dict() == grec  # unknown keys kept, round trip
    assert store.group_runs(g.id) == (g, [run])
    assert gfile.read_bytes() == before
    with pytest.raises(TypeError):  # no dict shim: a reader of the old dicts fails, it does not read stale keys
        run["status"]
    with pytest.raises(TypeError):
        g["id"]
