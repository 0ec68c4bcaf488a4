"""The store: atomic writes survive an injected fault, concurrent writers lose nothing,
a damaged file is set aside and reported, never overwritten."""

from __future__ import annotations

import json
import multiprocessing as mp

import pytest

from overfit_tui.core.errors import StoreError
from overfit_tui.core.paths import Home
from overfit_tui.store import Store
from overfit_tui.store import storage as storage_mod
from overfit_tui.store.metrics import MetricTail, MetricWriter


def _rec(i, group="g"):
    return {
        "id": f"r{i}",
        "group": group,
        "index": i,
        "status": "finished",
        "created": i,
        "label": str(i),
        "spec": {},
        "study": "s",
    }


def test_fault_between_temp_write_and_rename_keeps_old_state(store, monkeypatch):
    store.add_runs([_rec(0)])

    def boom(src, dst):
        raise OSError("power cut")

    monkeypatch.setattr(storage_mod.os, "replace", boom)
    with pytest.raises(StoreError, match="power cut"):
        store.add_runs([_rec(1)])
    monkeypatch.undo()
    again = Store(store.home)
    assert again.recovered_from is None
    assert [r.id for r in again.runs()] == ["r0"]
    again.add_runs([_rec(2)])
    assert [r.id for r in again.runs()] == ["r0", "r2"]


def _writer(root, k, n):
    store = Store(Home.resolve(root))
    for i in range(n):
        store.add_runs([_rec(k * 1000 + i, group=f"w{k}")])
        w = MetricWriter(store.metrics_path(f"w{k}"))
        w.write({"kind": "step", "step": i, "w": k})
        w.close()


def test_concurrent_writers_lose_nothing(home):
    n = 40
    procs = [mp.get_context("spawn").Process(target=_writer, args=(str(home.root), k, n)) for k in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    store = Store(home)
    ids = sorted(r.id for r in store.runs())
    assert ids == sorted(f"r{k * 1000 + i}" for k in range(3) for i in range(n))
    for k in range(3):
        steps = [e["step"] for e in store.metrics(f"w{k}")]
        assert steps == list(range(n))


def test_damaged_store_is_set_aside_and_reported(home):
    store = Store(home)
    store.add_runs([_rec(0)])
    home.group_file("g").write_text('{"runs": {"1": {"id": "r0"')  # torn by hand
    damaged = home.group_file("g").read_text()
    again = Store(home)
    assert again.recovered_from is not None and again.recovered_from.exists()
    assert again.recovered_from.read_text() == damaged  # kept byte for byte
    assert "does not parse" in again.damage
    assert again.runs() == []
    again.add_runs([_rec(5)])
    assert again.recovered_from.read_text() == damaged


def test_storage_read_rejects_garbage(tmp_path):
    p = tmp_path / "s.json"
    p.write_text("[1, 2]")
    with pytest.raises(StoreError):
        storage_mod.AtomicJSONStorage(p).read()


def test_metric_tail_skips_torn_last_line(tmp_path):
    p = tmp_path / "m.jsonl"
    p.write_text(json.dumps({"kind": "step", "a": 1}) + "\n" + '{"kind": "step", "a": 2')
    tail = MetricTail(p)
    assert tail.read_new() == [{"kind": "step", "a": 1}]
    with open(p, "a") as f:
        f.write("}\n")
    assert tail.read_new() == [{"kind": "step", "a": 2}]
    assert tail.read_new() == []
