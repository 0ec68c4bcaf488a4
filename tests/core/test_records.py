"""Typed run records: a stored record (this format, or an older one without the fields added
since) loads as a frozen RunRecord with a Status and a typed spec, and writes back unchanged;
metrics lines load as typed events. Every run of the recorded store (tests/data/finished-store.json,
written by an earlier version) loads and round-trips."""

from __future__ import annotations

import dataclasses
import json

import pytest

from overfit_tui.core.records import EventKind, RunEvent, RunRecord
from overfit_tui.core.specs import RunSpec, TrainSpec
from overfit_tui.core.status import Status

from ..ui.finished_store import FIXTURE

SPEC = {
    "study": "randomization",
    "label": "true labels s0",
    "data": {"name": "mnist1d", "n_train": 500},
    "model": {"name": "mlp", "width": 256},
    "train": {"epochs": 100, "lr": 0.02},
    "seeds": {"init": 0, "order": 0, "noise": 0},
    "params": {"condition": "labels", "p": 0.0},
}
# a run as the first versions stored it: no job, spec hash, tags, notes, log, dispatch time or ray flag
OLD = {
    "id": "be3f379a-58c96640",
    "group": "smoke-mnist1d-1207-132303-a4475828",
    "study": "randomization",
    "label": "true labels s0",
    "status": "finished",
    "spec": SPEC,
    "created": 1796649783.9,
    "started": 1796649788.8,
    "ended": 1796649792.1,
    "summary": {"final_test_acc": 0.345},
    "provenance": None,
}


def test_an_old_record_loads_with_todays_defaults():
    rec = RunRecord.from_dict(OLD)
    assert rec.status is Status.FINISHED and rec.status == "finished"
    assert (rec.job, rec.tags, rec.notes, rec.dispatched, rec.ray, rec.provenance) == (0, (), "", None, False, {})
    assert rec.summary == {"final_test_acc": 0.345}
    assert isinstance(rec.spec, RunSpec) and isinstance(rec.spec.train, TrainSpec)
    assert rec.spec.train.epochs == 100 and rec.spec.data.n_train == 500 and rec.spec.params["p"] == 0.0
    assert rec.ended_ok and not rec.active
    with pytest.raises(dataclasses.FrozenInstanceError):
        rec.status = Status.FAILED  # type: ignore[misc]
    new = rec.to_dict()
    assert new["tags"] == [] and new["notes"] == "" and new["status"] == "finished" and "ray" not in new
    assert RunRecord.from_dict(new) == rec


def test_every_recorded_run_loads_and_round_trips():
    runs = json.loads(FIXTURE.read_text())["runs"]
    assert len(runs) > 100
    for r in runs:
        stored = r["record"]
        rec = RunRecord.from_dict(stored)
        assert rec.to_dict() == stored, stored["id"]
        assert rec.spec.to_dict() == stored["spec"]  # the typed spec holds what was stored, defaults included
        for e in r["events"][:20]:
            ev = RunEvent.from_dict(e)
            assert ev.to_dict() == e
            assert ev.kind in (EventKind.STEP, EventKind.EVAL, EventKind.POINT)


def test_an_unknown_status_is_refused_and_an_unknown_event_kind_kept():
    with pytest.raises(ValueError):
        RunRecord.from_dict({**OLD, "status": "paused"})
    ev = RunEvent.from_dict({"kind": "probe", "x": 1})
    assert ev.kind == "probe" and ev.step is None and ev.to_dict() == {"kind": "probe", "x": 1}


def test_a_record_is_read_by_attribute_never_as_a_dict():
    """No dict shim: a reader that still treats a record as the store's dict fails loudly
    (issue 27: typed records from the store to the screen)."""
    from collections.abc import Mapping

    from overfit_tui.core.records import GroupRecord

    rec = RunRecord.from_dict(OLD)
    grp = GroupRecord.from_dict({"id": "g-1", "study": "randomization", "created": 1.0, "name": "g"})
    for r in (rec, grp):
        assert not isinstance(r, Mapping)
        with pytest.raises(TypeError, match="not subscriptable"):
            r["id"]
        with pytest.raises(TypeError):
            "id" in r  # noqa: B015
        for name in ("get", "keys", "items"):
            assert not hasattr(r, name), name
    assert (rec.id, rec.label, rec.status, rec.summary["final_test_acc"]) == (
        OLD["id"],
        OLD["label"],
        "finished",
        0.345,
    )
    assert (grp.id, grp.name, grp.study) == ("g-1", "g", "randomization")
