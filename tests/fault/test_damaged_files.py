"""Damaged store and metrics files of every kind: a store file that is no store is set aside
(never overwritten, two in one second both kept); one bad record is reported and skipped by
every command and `rm` removes it; bad metric lines are skipped and counted, exports stay
strict; a full disk and a read-only home give one-line errors and listing still works."""

from __future__ import annotations

import errno
import json
import math
import multiprocessing as mp
import os
import shutil
import stat
import tempfile
from pathlib import Path

import pytest

from overfit_tui.core.errors import StoreError
from overfit_tui.core.paths import Home
from overfit_tui.export.formats import WRITERS
from overfit_tui.export.transfer import load_comparison
from overfit_tui.store import Store
from overfit_tui.store import storage as storage_mod
from overfit_tui.store.metrics import read_metrics_counted

from .conftest import run_record

NOT_A_STORE = {
    "invalid UTF-8": b'{"runs": {"1": {"id": "\xff"}}}',
    "runs is a list": b'{"runs": []}',
    "top level is a list": b"[1, 2]",
    "empty": b"",
    "NUL bytes after a power cut": b"\x00" * 4096,
    "torn": b'{"runs": {"1": {"id": "r0"',
    "nested too deeply": b'{"runs": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
}


@pytest.mark.parametrize("content", NOT_A_STORE.values(), ids=NOT_A_STORE.keys())
def test_a_file_that_is_no_store_is_set_aside_byte_for_byte(home, cli, content):
    home.store_file.write_bytes(content)
    code, out, err = cli("runs")
    assert code == 0 and "was started" in err and "Traceback" not in err, err
    (aside,) = home.root.glob("store.json.damaged-*")
    assert aside.read_bytes() == content
    store = Store(home)
    store.add_runs([run_record("after-1")])
    assert [r.id for r in store.runs()] == ["after-1"] and aside.read_bytes() == content


def test_a_folder_named_store_json_and_two_set_asides_in_one_second(home):
    home.store_file.mkdir()
    (home.store_file / "inside").write_text("x")
    first = Store(home)
    assert first.recovered_from.is_dir() and (first.recovered_from / "inside").read_text() == "x"
    home.store_file.write_text("garbage")
    second = Store(home)  # the same second, most likely: both copies must survive
    assert second.recovered_from != first.recovered_from
    assert second.recovered_from.read_text() == "garbage" and first.recovered_from.is_dir()
    assert len(list(home.root.glob("store.json.damaged-*"))) == 2


@pytest.mark.parametrize("odd", ["folder", "fifo", "socket"])
def test_a_group_file_that_is_no_file_is_set_aside_and_named_never_opened(home, cli, odd):
    store = Store(home)
    store.add_runs([run_record("kept-run", group="g-kept"), run_record("lost-run", group="g-odd")])
    path = home.group_file("g-odd")
    path.unlink()
    if odd == "folder":
        path.mkdir()
        (path / "inside").write_text("x")
    elif odd == "fifo":
        os.mkfifo(path)  # opening it for reading would block: it must never be opened
    else:
        import socket

        sock = socket.socket(socket.AF_UNIX)
        sock.bind(str(path))
        sock.close()
    code, out, err = cli("runs")
    assert code == 0 and "kept-run" in out and "Traceback" not in err, err
    warning = [line for line in err.splitlines() if str(path) in line]
    assert len(warning) == 1 and "not a regular file" in warning[0] and "kept as" in warning[0], err
    (aside,) = home.group_file("g-odd").parent.glob("g-odd.json.damaged-*")
    kind = {"folder": aside.is_dir(), "fifo": stat.S_ISFIFO(os.lstat(aside).st_mode)}
    assert kind.get(odd, stat.S_ISSOCK(os.lstat(aside).st_mode))
    assert odd != "folder" or (aside / "inside").read_text() == "x"
    assert not os.path.lexists(path)
    code, out, err = cli("runs")  # said once: the store is usable again
    assert code == 0 and "kept-run" in out and not err, err


def test_leftover_temporary_files_are_cleaned_on_open(home):
    Store(home).add_runs([run_record("r-1")])
    for i in range(3):
        (home.root / f".store.json.{1000 + i}.deadbeef.tmp").write_text("half a store")
    store = Store(home)
    assert not list(home.root.glob(".store.json.*.tmp")) and [r.id for r in store.runs()] == ["r-1"]


def _seed_bad_records(home: Home) -> dict:
    good = run_record("good-run")
    tables = {
        "runs": {
            "1": good,
            "2": 42,  # not a record at all
            "3": {k: v for k, v in run_record("no-status").items() if k != "status"},
            "4": {k: v for k, v in run_record("no-label").items() if k != "label"},
            "5": run_record("when-run", created="yesterday"),
            "6": run_record("../../victim"),  # an id that would name a path outside the home
            "odd-key": run_record("odd-key-run"),  # a key TinyDB cannot use: the record is still read
        }
    }
    home.store_file.write_text(json.dumps(tables))
    return good


def test_bad_records_are_reported_skipped_and_removable(home, cli, tmp_path):
    _seed_bad_records(home)
    victim = tmp_path / "victim"
    victim.mkdir()
    store = Store(home)
    assert store.recovered_from is None
    assert sorted(r.id for r in store.runs()) == ["good-run", "odd-key-run"]
    problems = {(b.id, b.field) for b in store.problems()}
    assert problems == {
        (None, "record"),
        ("no-status", "status"),
        ("no-label", "label"),
        ("when-run", "created"),
        (None, "id"),
    }
    for args in (["runs"], ["runs", "--json"], ["tag", "good", "x"], ["note", "good-run", "n"]):
        code, out, err = cli(*args)
        assert code == 0 and "Traceback" not in err, err
        assert "field 'status': missing" in err and "rm no-status" in err and "rm --malformed" in err
    code, out, err = cli("export", "good-run", "-f", "md", "-o", str(tmp_path / "x.md"))
    assert code == 0, err
    assert list(store.get_run("good-run").tags) == ["x"] and store.get_run("good-run").notes == "n"
    code, out, err = cli("rm", "no-status", "-y")  # by its id, although it cannot be read
    assert code == 0 and "deleted 1 run" in out, err
    code, out, err = cli("rm", "--malformed", "-y")
    assert code == 0 and "removed 4 unreadable" in out, err
    assert Store(home).problems() == [] and victim.exists()
    assert sorted(r.id for r in Store(home).runs()) == ["good-run", "odd-key-run"]


def test_the_feed_and_the_app_start_on_a_damaged_store(home):
    import asyncio

    from overfit_tui.runs.feed import RunFeed
    from overfit_tui.ui.app import make_app

    _seed_bad_records(home)
    _damaged_metrics(Store(home).metrics_path("good-run"))
    batch = RunFeed(Store(home)).poll()
    records, events = batch.records, batch.events
    assert {r.id for r in records} == {"good-run", "odd-key-run"} and events["good-run"]

    async def go():
        app = make_app(home=home.root)
        async with app.run_test(size=(120, 40)) as pilot:
            for _ in range(100):  # the feed fills the cache in the background
                if "good-run" in app.cache.records:
                    break
                await pilot.pause(0.2)
            assert set(app.cache.records) == {"good-run", "odd-key-run"}

    asyncio.run(go())


def _damaged_metrics(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    ev = lambda step, loss: json.dumps(
        {
            "kind": "eval",
            "step": step,
            "epoch": step,
            "train_loss": loss,
            "train_acc": 0.5,
            "test_loss": loss,
            "test_acc": 0.4,
            "lr": 0.1,
            "wall": step,
        }
    )
    path.write_bytes(
        (ev(0, 1.0) + "\n").encode()
        + b"\xff\xfe garbage\n"  # invalid UTF-8
        + b"5\n"  # a bare number
        + b"[1, 2]\n"  # a list
        + b'{"kind": 5}\n'  # no usable kind
        + b"\x00" * 64  # NUL bytes from a power cut, then the next append
        + (ev(1, float("nan")) + "\n").encode()  # a diverged evaluation: NaN, kept but never drawn
        + (ev(2, 0.5) + "\n").encode()
        + b'{"kind": "eval", "ste'  # torn last line of a killed writer
    )


def test_damaged_metric_lines_are_skipped_and_counted_and_exports_stay_strict(home, tmp_path):
    store = Store(home)
    store.add_runs([run_record("m-run")])
    _damaged_metrics(store.metrics_path("m-run"))
    events, bad = read_metrics_counted(store.metrics_path("m-run"))
    assert [e["step"] for e in events] == [0, 1, 2] and bad == 5  # the torn last line counts: the run ended
    assert read_metrics_counted(store.metrics_path("m-run"), ended=False)[1] == 4  # a running run's is in progress
    c = load_comparison(store, ["m-run"])
    assert c.skipped_lines == 5
    assert c.curve("m-run", "eval", "train_loss") == ([0, 2], [1.0, 0.5])  # the NaN point is dropped
    for fmt, writer in WRITERS.items():
        assert writer(c), fmt
    strict = json.loads(WRITERS["json"](c), parse_constant=lambda s: pytest.fail(f"non-strict JSON: {s}"))
    assert strict["runs"][0]["events"][1]["train_loss"] is None
    for odd in ("folder", "fifo"):
        store.add_runs([run_record(f"{odd}-run")])
        path = store.metrics_path(f"{odd}-run")
        path.parent.mkdir(parents=True)
        path.mkdir() if odd == "folder" else os.mkfifo(path)
        assert read_metrics_counted(path) == ([], 0)  # read as empty, never blocked on


def test_export_warns_with_the_count_of_a_torn_last_line(home, cli, tmp_path):
    store = Store(home)
    store.add_runs([run_record("torn-run")])
    path = store.metrics_path("torn-run")
    path.parent.mkdir(parents=True)
    path.write_bytes(b'{"kind": "eval", "step": 0, "train_loss": 1.0}\n{"kind": "eval", "st')
    code, out, err = cli("export", "torn-run", "-f", "json", "-o", str(tmp_path / "out.json"))
    assert code == 0 and "wrote 1 run" in out, err
    assert err.count("\n") == 1 and "1 damaged metric line(s) left out" in err, err


def _store_files(home: Home) -> dict[str, bytes]:
    """Every file of the record store (the index, the group files) with its bytes."""
    return {str(p.relative_to(home.store_dir)): p.read_bytes() for p in home.store_dir.rglob("*") if p.is_file()}


def test_full_disk_is_a_clear_error_and_keeps_the_store(home, cli, monkeypatch):
    store = Store(home)
    store.add_runs([run_record("r-1")])
    before = _store_files(home)

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(storage_mod.os, "fsync", full)
    with pytest.raises(StoreError, match="no space left on the device"):
        store.add_runs([run_record("r-2")])
    code, _, err = cli("tag", "r-1", "x")
    assert code == 2 and err.startswith("error: cannot write") and "no space left" in err and err.count("\n") == 1
    assert _store_files(home) == before and not list(home.store_dir.rglob("*.tmp"))


def _read_only_child(root: str, out) -> None:
    import io
    import sys

    if os.geteuid() == 0:
        os.setgid(65534)
        os.setuid(65534)  # nobody: the home's modes now bind
    from overfit_tui import cli as cli_mod

    store = Store(Home.resolve(root))
    result = {"read_only": store.read_only, "runs": [r.id for r in store.runs()]}
    try:
        store.update_run("r-1", notes="x")
    except StoreError as e:
        result["write"] = str(e)
    sys.stdout, sys.stderr = io.StringIO(), io.StringIO()
    for args in (["runs", "--json"], ["tag", "r-1", "x"]):
        sys.argv = ["overfit-tui", *args, "--home", root]
        try:
            cli_mod.main()
            code = 0
        except SystemExit as e:
            code = e.code
        result[f"cli {args[0]}"] = (code, sys.stdout.getvalue(), sys.stderr.getvalue())
    out.put(result)


def test_a_read_only_home_can_be_listed_and_says_why_it_cannot_be_written():
    base = Path(tempfile.mkdtemp(prefix="overfit-ro-"))
    try:
        os.chmod(base, 0o755)
        home = Home.resolve(base / "home")
        Store(home).add_runs([run_record("r-1")])
        (home.root / "store.lock").unlink()  # a copied home may come without its lock file
        for p in home.store_dir.rglob("*"):
            os.chmod(p, 0o555 if p.is_dir() else 0o444)
        os.chmod(home.root, 0o555)
        out = mp.get_context("fork").Queue()
        p = mp.get_context("fork").Process(target=_read_only_child, args=(str(home.root), out))
        p.start()
        result = out.get(timeout=60)
        p.join(30)
        assert result["read_only"] and result["runs"] == ["r-1"]
        assert "read-only" in result["write"]
        code, stdout, err = result["cli runs"]
        assert code == 0 and [r["id"] for r in json.loads(stdout)] == ["r-1"] and "Traceback" not in err
        code, stdout, err = result["cli tag"]
        assert code == 2 and "read-only" in err and err.count("\n") == 1
    finally:
        for p in [base / "home", *(base / "home").rglob("*")]:
            if p.is_dir():
                os.chmod(p, 0o755)
        shutil.rmtree(base)


def test_nan_summaries_do_not_break_listing(home, cli):
    Store(home).add_runs([run_record("nan-run", summary={"final_train_loss": math.nan, "final_train_acc": 0.1})])
    code, out, err = cli("runs")
    assert code == 0 and "nan-run" in out, err
