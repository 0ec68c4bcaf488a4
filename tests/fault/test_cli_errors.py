"""The CLI under bad input: one line on stderr and exit status 2, never a traceback; prefix
references that match several things act on nothing; `tag RUN baseline -old` works as
the README says; restarting a group restarts all of it."""

from __future__ import annotations

import pytest

from overfit_tui.runs import launcher
from overfit_tui.store import Store

from .conftest import group_record, run_record


def _one_line_error(code: int, err: str, *needles: str) -> None:
    assert code == 2 and err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err, err
    for n in needles:
        assert n in err, err


@pytest.fixture
def two_groups(store):
    for g, runs in (("smoke-0101-1", ("aa11", "aa22")), ("smoke-0101-2", ("bb11",))):
        store.add_group(group_record(g))
        store.add_runs([run_record(f"{r}-x", group=g, status="failed", index=i) for i, r in enumerate(runs)])
    return store


def test_prefixes_that_match_several_things_delete_nothing(cli, two_groups):
    for ref, needle in (
        ("", "empty reference"),
        ("smoke", "matches 2"),
        ("aa", "matches 2"),
        ("zz", "no run or group"),
    ):
        code, _, err = cli("rm", ref, "-y")
        _one_line_error(code, err, needle)
    assert len(two_groups.runs()) == 3
    code, out, err = cli("rm", "smoke-0101-2", "-y")
    assert code == 0 and "deleted 1 run" in out, err
    assert {r.group for r in two_groups.runs()} == {"smoke-0101-1"}
    assert [g.id for g in two_groups.groups()] == ["smoke-0101-1"]  # an emptied group goes too


def test_tag_syntax_of_the_readme(cli, two_groups):
    assert cli("tag", "aa11", "baseline", "old")[0] == 0
    code, out, err = cli("tag", "aa11", "baseline", "-old", "new")
    assert code == 0 and "+baseline, +new, -old on 1 run" in out, err  # says what it removed
    assert list(two_groups.get_run("aa11-x").tags) == ["baseline", "new"]
    code, _, err = cli("tag", "aa11", "two words")
    _one_line_error(code, err, "without spaces")
    code, out, _ = cli("note", "smoke-0101-1", "seen [b]twice[/b]")
    assert code == 0 and all(r.notes == "seen [b]twice[/b]" for r in two_groups.runs("smoke-0101-1"))


def test_restart_of_a_group_restarts_every_run(cli, two_groups, monkeypatch):
    monkeypatch.setattr(launcher, "start_scheduler", lambda *a, **k: None)
    code, out, err = cli("restart", "smoke-0101-1")
    assert code == 0 and "restarted 2 run(s)" in out and "the originals are kept" in out, err
    gid = out.split("in group ")[1].split(";")[0]
    assert sorted(r.label for r in two_groups.runs(gid)) == ["aa11-x", "aa22-x"]  # from their specs
    two_groups.update_run("bb11-x", status="running")
    code, _, err = cli("restart", "bb11")
    _one_line_error(code, err, "still queued or running")


def test_markup_and_control_characters_in_user_text_are_shown_as_typed(cli):
    code, _, err = cli("run", "smoke-mnist1d", "--set", 'train.lr="[/]"')
    _one_line_error(code, err, "'[/]'")
    code, _, err = cli("check", "smoke-mnist1d", "--set", "train.lrr\n=1")
    _one_line_error(code, err, "--set")


def test_export_output_and_home_errors(cli, two_groups, tmp_path):
    for out, needle in (
        (tmp_path / "missing" / "x.md", "does not exist"),
        (tmp_path, "is a folder"),
        ("", "give a file name"),
        ("/dev/full", "cannot write"),
    ):
        code, _, err = cli("export", "aa11", "-o", str(out))
        _one_line_error(code, err, needle)
    code, _, err = cli("export", "aa11", "-f", "pdf", "-o", str(tmp_path / "x.pdf"))
    _one_line_error(code, err, "unknown export format")
    file_home = tmp_path / "a-file"
    file_home.write_text("x")
    code, _, err = cli("runs", home_dir=file_home)
    _one_line_error(code, err, "not a folder")
    assert Store(two_groups.home).problems() == []


@pytest.mark.parametrize("port", ["80000", "-1", "0", "65536"])
def test_a_port_out_of_range_is_one_line(cli, port):
    code, _, err = cli("serve", "--port", port)
    _one_line_error(code, err, f"--port {port}", "[1, 65535]")


def test_a_full_disk_during_import_names_the_file_and_leaves_nothing(cli, two_groups, tmp_path, monkeypatch):
    import errno
    import json

    from overfit_tui.export import transfer

    good = tmp_path / "good.json"
    rec = run_record("new-run", group="g-0202-000000-00000000")
    good.write_text(json.dumps({"format": "overfit-tui-export/1", "runs": [{"record": rec, "events": []}]}))
    real_open = open

    def full(path, mode="r", *a, **kw):
        if "w" in mode and str(path).endswith(".import.tmp"):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_open(path, mode, *a, **kw)

    monkeypatch.setattr(transfer, "open", full, raising=False)
    code, _, err = cli("import", str(good))
    metrics = two_groups.metrics_path("new-run")
    _one_line_error(code, err, f"cannot write {metrics}", "no space left")
    assert not metrics.exists() and not list(metrics.parent.glob("*.tmp"))
    assert "new-run" not in {r.id for r in Store(two_groups.home).runs()}


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("OVERFIT_TUI_RAY_HEAD_LOST_S", "abc"),
        ("OVERFIT_TUI_RAY_HEAD_LOST_S", "nan"),
        ("OVERFIT_TUI_RAY_CONNECT_S", "-1"),
        ("OVERFIT_TUI_RAY_RETRIES", "1.5"),
    ],
)
def test_a_bad_ray_bound_in_the_environment_is_one_line_and_queues_nothing(tmp_path, name, value):
    """The Ray bounds are read when the launcher loads: a bad one was a ValueError traceback from
    `run`, even with the local backend (or, for nan, a head never declared lost)."""
    import os
    import subprocess
    import sys

    from ..conftest import TINY_TOML

    preset = tmp_path / "tiny.toml"
    preset.write_text(TINY_TOML)
    home = tmp_path / "home"
    out = subprocess.run(
        [sys.executable, "-m", "overfit_tui", "run", str(preset), "--detach", "--home", str(home)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, name: value},
    )
    _one_line_error(out.returncode, out.stderr, name, f"'{value}'")
    assert not (home / "runs").exists() or not any((home / "runs").iterdir())  # nothing was queued
