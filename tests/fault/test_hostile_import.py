"""Hostile input that names paths: imported ids that climb out of the home, preset names
that do, `rm` of such ids. Each is refused with one line naming the file, record and
field, and nothing is written: not in the home, not beside it."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path

import pytest

from overfit_tui.core.errors import ImportRejected
from overfit_tui.export import transfer
from overfit_tui.export.transfer import import_json

from .conftest import run_record


def tree(root: Path) -> dict[str, bytes | None]:
    """Every path under `root` with its bytes (None for folders): a snapshot to compare."""
    out = {}
    for p in sorted(root.rglob("*")):
        out[str(p.relative_to(root))] = None if p.is_dir() or not p.is_file() else p.read_bytes()
    return out


def export_of(*records, events=None) -> dict:
    return {
        "format": "overfit-tui-export/1",
        "runs": [
            {"record": r, "events": events if events is not None else [{"kind": "step", "step": 1}]} for r in records
        ],
    }


@pytest.fixture
def sandbox(tmp_path, store):
    """The store plus a 'victim' folder beside the home that no command may touch."""
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "precious.txt").write_text("keep me")
    store.add_runs([run_record("existing-run")])
    return store, victim


def _check_rejected(store, victim, payload_or_bytes, tmp_path, *needles):
    path = tmp_path / "hostile.json"
    if isinstance(payload_or_bytes, bytes):
        path.write_bytes(payload_or_bytes)
    else:
        path.write_text(json.dumps(payload_or_bytes))
    before, outside = tree(store.home.root), tree(victim)
    with pytest.raises(ImportRejected) as info:
        import_json(store, path)
    msg = str(info.value)
    assert "\n" not in msg and str(path) in msg and "nothing was imported" in msg, msg
    for needle in needles:
        assert needle in msg, msg
    assert tree(store.home.root) == before and tree(victim) == outside  # nothing written anywhere
    assert [r.id for r in store.runs()] == ["existing-run"]


BAD_RECORDS = [
    ({"id": "../../victim"}, "field 'id'"),
    ({"id": "."}, "field 'id'"),
    ({"id": ""}, "field 'id'"),
    ({"id": "/tmp/abs"}, "field 'id'"),
    ({"id": "a\x00b"}, "field 'id'"),
    ({"group": "../../victim"}, "field 'group'"),
    ({"group": ".."}, "field 'group'"),
    ({"status": "bogus"}, "field 'status'"),
    ({"created": "yesterday"}, "field 'created'"),
    ({"created": 1e999}, "field 'created'"),  # infinite: read as null, then refused
    ({"index": 10**30}, "field 'index'"),
    ({"label": ["not", "text"]}, "field 'label'"),
    ({"tags": "x"}, "field 'tags'"),
    ({"spec": {"study": "randomization"}}, "field 'spec"),
    ({"spec": "x"}, "field 'spec'"),
    ({"study": "kernel"}, "field 'study'"),
    ({"summary": {"n": 10**40}}, "field 'summary.n'"),
]


@pytest.mark.parametrize("change, needle", BAD_RECORDS, ids=[repr(c)[:40] for c, _ in BAD_RECORDS])
def test_bad_records_reject_the_whole_file(sandbox, tmp_path, change, needle):
    store, victim = sandbox
    good = run_record("fine-one")
    bad = {**run_record("second-one"), **change}
    _check_rejected(store, victim, export_of(good, bad), tmp_path, "run 1", needle)


@pytest.mark.parametrize(
    "payload, needle",
    [
        ([1, 2], "format"),
        ({"format": "something-else", "runs": []}, "format"),
        ({"format": "overfit-tui-export/1", "runs": {"a": 1}}, "runs"),
        ({"format": "overfit-tui-export/1", "runs": [5]}, "run 0"),
        ({"format": "overfit-tui-export/1", "runs": [{"record": [1]}]}, "run 0"),
        ({"format": "overfit-tui-export/1", "runs": [{"record": {}, "events": []}]}, "field 'id': missing"),
    ],
)
def test_wrong_shapes_are_rejected(sandbox, tmp_path, payload, needle):
    store, victim = sandbox
    _check_rejected(store, victim, payload, tmp_path, needle)


def test_bad_events_duplicates_encoding_size_and_depth_are_rejected(sandbox, tmp_path, monkeypatch):
    store, victim = sandbox
    rec = run_record("fine-one")
    _check_rejected(store, victim, export_of(rec, events={"kind": "step"}), tmp_path, "field 'events'")
    _check_rejected(store, victim, export_of(rec, events=[5]), tmp_path, "event 0")
    _check_rejected(store, victim, export_of(rec, events=[{"step": 1}]), tmp_path, "event 0")
    _check_rejected(store, victim, export_of(rec, events=[{"kind": "step", "step": 2**64}]), tmp_path, "event 0")
    _check_rejected(store, victim, export_of(rec, copy.deepcopy(rec)), tmp_path, "the same id as run 0")
    _check_rejected(store, victim, b'{"format": "overfit-tui-export/1", "runs": ["\xff"]}', tmp_path, "not UTF-8")
    _check_rejected(store, victim, b"[" * 100_000 + b"]" * 100_000, tmp_path)
    _check_rejected(store, victim, b'{"format": "overfit-tui-export/1", "runs": [' + b"9" * 5000 + b"]}", tmp_path)
    _check_rejected(store, victim, b"not json", tmp_path, "not JSON")
    monkeypatch.setattr(transfer, "IMPORT_MAX", 100)
    _check_rejected(store, victim, export_of(rec), tmp_path, "export files are at most 100 bytes")


def test_special_files_are_refused_not_read(sandbox, tmp_path):
    store, _ = sandbox
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)
    for path in (fifo, tmp_path, tmp_path / "missing.json"):
        with pytest.raises(ImportRejected, match=r"not a regular file|no such"):
            import_json(store, path)


def test_a_good_file_imports_active_runs_as_ended(sandbox, tmp_path):
    store, _ = sandbox
    running = run_record("was-running", status="running", pid=os.getpid(), provenance={"host": "gpu-box"})
    nan_events = [{"kind": "eval", "step": 1, "train_loss": float("nan")}]
    path = tmp_path / "ok.json"
    path.write_text(json.dumps(export_of(running, run_record("was-finished"), events=nan_events)))  # NaN: non-strict
    assert import_json(store, path) == (2, 0)
    rec = store.get_run("was-running")
    assert rec.status == "imported" and rec.ended and "gpu-box" in rec.error and rec.pid is None
    assert store.metrics("was-running") == [{"kind": "eval", "step": 1, "train_loss": None}]
    assert {g.id for g in store.groups()} == {"g-0101-000000-00000000"}
    assert import_json(store, path) == (0, 2)  # idempotent


def test_path_names_from_presets_and_references_stay_home(cli, home, tmp_path):
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "precious.txt").write_text("keep me")
    before = tree(victim)
    for name in ('"../../victim/x"', '"/tmp/abs"', '"a\\u0000b"', '"."', '""'):
        code, _, err = cli("run", "smoke-mnist1d", "--set", f"name={name}", "--detach")
        assert code == 2 and "key 'name'" in err and "Traceback" not in err, err
    for ref in ("../../victim", ".", "", "/tmp"):
        code, _, err = cli("rm", ref, "-y")
        assert code == 2 and "Traceback" not in err and err.count("\n") == 1, err
    assert tree(victim) == before
    assert not (home.root / "runs").exists() and not (home.root / "groups").exists()  # nothing queued, no log
