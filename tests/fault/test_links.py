"""Links out of the home: a folder or file the home writes through (store/, runs/, groups/,
queue/, data/, the lock) that is a symbolic link is refused with one line naming it, unless the
user sets OVERFIT_TUI_ALLOW_LINKS=1; and whatever the setting, `rm` and `gc` never delete
through a link. Nothing outside the home is written or deleted."""

from __future__ import annotations

import json
import os

import pytest

from overfit_tui.core.paths import WRITTEN, Home
from overfit_tui.store import Store

from .conftest import run_record
from .test_hostile_import import export_of, tree


def _one_line(code: int, err: str, *needles: str) -> None:
    assert code == 2 and err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err, err
    for n in needles:
        assert n in err, err


@pytest.fixture
def elsewhere(tmp_path):
    """A folder beside the home with a user's file and folder in it, that no command may touch."""
    out = tmp_path / "elsewhere"
    (out / "orphan1").mkdir(parents=True)
    (out / "orphan1" / "precious.txt").write_text("keep me")
    return out


@pytest.fixture
def good_json(tmp_path):
    path = tmp_path / "good.json"
    path.write_text(json.dumps(export_of(run_record("imported-run"))))
    return path


def test_a_linked_store_is_refused_and_nothing_is_written_through_it(cli, home, elsewhere, good_json, monkeypatch):
    monkeypatch.delenv("OVERFIT_TUI_ALLOW_LINKS", raising=False)
    os.symlink(elsewhere, home.root / "store")
    before = tree(elsewhere)
    for args in (("import", str(good_json)), ("runs",), ("gc", "-y")):
        code, _, err = cli(*args)
        _one_line(code, err, str(home.root / "store"), "is a link", "OVERFIT_TUI_ALLOW_LINKS=1")
    assert tree(elsewhere) == before  # no index.json, no groups/ there
    # the user opts in: the store then lives there
    monkeypatch.setenv("OVERFIT_TUI_ALLOW_LINKS", "1")
    code, out, err = cli("import", str(good_json))
    assert code == 0 and "imported 1 run" in out, err
    assert (elsewhere / "index.json").is_file() and list((elsewhere / "groups").glob("*.json"))


def test_a_linked_runs_folder_is_refused_and_gc_and_rm_never_delete_through_it(cli, home, elsewhere, monkeypatch):
    monkeypatch.delenv("OVERFIT_TUI_ALLOW_LINKS", raising=False)
    Store(home).add_runs([run_record("kept-run")])
    (elsewhere / "kept-run").mkdir()
    (elsewhere / "kept-run" / "metrics.jsonl").write_text("{}\n")
    os.symlink(elsewhere, home.root / "runs")
    before = tree(elsewhere)
    code, _, err = cli("gc", "-y")
    _one_line(code, err, str(home.root / "runs"), "is a link")
    code, _, err = cli("rm", "kept-run", "-y")
    _one_line(code, err, str(home.root / "runs"), "is a link")
    assert tree(elsewhere) == before
    # allowed: listing and training may use it, but nothing is deleted through it
    monkeypatch.setenv("OVERFIT_TUI_ALLOW_LINKS", "1")
    code, out, _ = cli("runs")
    assert code == 0 and "kept-run" in out
    code, _, err = cli("gc", "-y")
    _one_line(code, err, "never deletes through a link")
    code, out, err = cli("rm", "kept-run", "-y")
    assert code == 0 and "deleted 1 run" in out and "never deletes through a link" in err, err
    assert tree(elsewhere) == before  # the record is gone, its files stay where the link leads
    assert Store(home).runs() == []


def test_a_link_planted_inside_runs_is_never_followed_by_gc(cli, home, elsewhere):
    Store(home).add_runs([run_record("kept-run")])
    (home.root / "runs" / "orphan2").mkdir(parents=True)
    os.symlink(elsewhere / "orphan1", home.root / "runs" / "orphan1")
    before = tree(elsewhere)
    code, out, err = cli("gc", "-y")
    assert code == 0 and "removed 1 folder" in out, err
    assert not (home.root / "runs" / "orphan2").exists() and tree(elsewhere) == before


@pytest.mark.parametrize("rel", [r for r in WRITTEN if r != "store"])
def test_every_entry_the_home_writes_through_is_checked(cli, home, tmp_path, rel, monkeypatch):
    monkeypatch.delenv("OVERFIT_TUI_ALLOW_LINKS", raising=False)
    monkeypatch.delenv("OVERFIT_TUI_DATA", raising=False)  # data/ is then the home's
    target = tmp_path / "target"
    target.mkdir()
    path = home.root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(target, path)
    with pytest.raises(Exception, match="is a link") as info:
        Home.resolve(home.root)
    assert str(path) in str(info.value) and "\n" not in str(info.value)
