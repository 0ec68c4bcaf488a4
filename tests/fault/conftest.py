"""Fixtures of the fault and fuzz suite: the CLI run in-process (the same `main()` a user's
shell runs, with its exit status and both output streams) and records to seed a store with."""

from __future__ import annotations

import sys

import pytest


@pytest.fixture
def cli(capsys, home):
    """cli(*args) -> (exit status, stdout, stderr), with `--home` set to the test's home."""
    from overfit_tui import cli as cli_mod

    def run(*args: str, home_dir=None) -> tuple[int, str, str]:
        argv = ["overfit-tui", *args, "--home", str(home_dir or home.root)]
        old, sys.argv = sys.argv, argv
        try:
            cli_mod.main()
            code = 0
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        finally:
            sys.argv = old
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


def run_record(rid: str, group: str = "g-0101-000000-00000000", **kw) -> dict:
    """A readable run record with a real randomization spec (enough for every reader and exporter)."""
    from overfit_tui.core.specs import DataSpec, ModelSpec, RunSpec, Seeds, TrainSpec
    from overfit_tui.studies import get_study

    spec = RunSpec(
        "randomization", rid, DataSpec(), ModelSpec(), TrainSpec(), Seeds(), get_study("randomization").RunParams()
    )
    rec = {
        "id": rid,
        "group": group,
        "index": 0,
        "job": 0,
        "study": "randomization",
        "preset": None,
        "label": f"run {rid}",
        "spec": spec.to_dict(),
        "spec_hash": spec.hash,
        "status": "finished",
        "pid": None,
        "device": "cpu",
        "created": 1_700_000_000.0,
        "started": None,
        "ended": None,
        "summary": {"final_train_acc": 1.0, "final_test_acc": 0.5},
        "provenance": {"host": "elsewhere"},
        "error": None,
        "tags": [],
        "notes": "",
    }
    rec.update(kw)
    return rec


def group_record(gid: str = "g-0101-000000-00000000") -> dict:
    from overfit_tui.store.schema import group_record as make

    return make(gid, gid, "randomization", None, {}, None)
