"""Ids match one strict pattern; every path built from one stays inside the home; fresh ids
do not collide; references name one run or group, or fail listing the candidates."""

from __future__ import annotations

import os

import pytest

from overfit_tui.core.errors import PathError, RefError, SpecError
from overfit_tui.core.ids import check_id, is_id, new_group_id, new_run_id
from overfit_tui.core.paths import Home


@pytest.mark.parametrize(
    "good", ["a", "smoke-mnist1d", "A.b_c-9", "x" * 128, "0", "restart-1c5aec30-be10c4c3-1125-092521-e7e3ae0b"]
)
def test_valid_ids(good):
    assert is_id(good) and check_id(good) == good


@pytest.mark.parametrize(
    "bad",
    [
        "",
        ".",
        "..",
        "../../victim",
        "a/b",
        "/abs",
        "a..b",
        "-lead",
        ".hidden",
        "x" * 129,
        "a\x00b",
        "a b",
        "é",
        "a\n",
        5,
        None,
    ],
)
def test_invalid_ids_are_refused_with_the_key(bad):
    assert not is_id(bad)
    with pytest.raises(SpecError, match="key 'name'") as info:
        check_id(bad, "name", "p.toml")
    assert "\n" not in str(info.value) and "p.toml" in str(info.value)


def test_paths_from_ids_stay_inside_the_home(tmp_path, monkeypatch):
    home = Home.resolve(tmp_path / "home")
    assert home.run_dir("abc") == home.root / "runs" / "abc"
    assert home.group_log("g-1") == home.root / "groups" / "g-1.log"
    for bad in ("..", "../x", "", ".", "/etc", "a/../../b"):
        with pytest.raises(PathError):
            home.run_dir(bad)
    # a link planted under runs/ that leads out of the home is refused too
    (home.root / "runs").mkdir()
    os.symlink(tmp_path, home.root / "runs" / "escape")
    with pytest.raises(PathError, match="outside"):
        home.run_dir("escape")
    # runs/ itself may be a link the user made (a bigger disk) only where the user allows links
    other = tmp_path / "big-disk"
    other.mkdir()
    (home.root / "runs" / "escape").unlink()
    (home.root / "runs").rmdir()
    os.symlink(other, home.root / "runs")
    monkeypatch.delenv("OVERFIT_TUI_ALLOW_LINKS", raising=False)
    with pytest.raises(PathError, match="is a link"):
        home.run_dir("abc")
    monkeypatch.setenv("OVERFIT_TUI_ALLOW_LINKS", "1")
    assert home.run_dir("abc") == other / "abc"
    with pytest.raises(PathError, match="never deletes through a link"):
        home.deletable("runs", "abc")  # whatever the setting


def test_home_that_is_a_file_is_a_clear_error(tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(PathError, match="not a folder"):
        Home.resolve(f)


def test_fresh_ids_do_not_collide():
    assert len({new_group_id("smoke") for _ in range(2000)}) == 2000  # same second, all distinct
    assert len({new_run_id("abcdef0123456789") for _ in range(2000)}) == 2000
    assert all(is_id(new_group_id("x" * 64)) for _ in range(10))


def _rec(rid, group, created=1.0):
    return {"id": rid, "group": group, "study": "s", "label": rid, "status": "finished", "spec": {}, "created": created}


def test_references_name_one_thing_or_list_the_candidates(store):
    store.add_runs(
        [_rec("smoke1-aa", "smoke-0101-1"), _rec("smoke2-bb", "smoke-0101-1"), _rec("other-cc", "smoke-0101-2")]
    )
    assert [r.id for r in store.resolve("smoke1-aa")] == ["smoke1-aa"]  # exact id
    assert [r.id for r in store.resolve("smoke-0101-1")] == ["smoke1-aa", "smoke2-bb"]  # exact group
    assert [r.id for r in store.resolve("oth")] == ["other-cc"]  # unique prefix
    with pytest.raises(RefError, match="empty reference"):
        store.resolve("")
    with pytest.raises(RefError) as info:
        store.resolve("smoke")  # two runs and two groups: nothing is touched, the candidates are listed
    msg = str(info.value)
    assert "matches 4" in msg and "run smoke1-aa" in msg and "group smoke-0101-2" in msg
    with pytest.raises(RefError, match="not a run or group id"):
        store.resolve("../x")
    with pytest.raises(RefError, match="no run or group matches"):
        store.resolve("zzz")
