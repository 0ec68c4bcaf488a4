"""Where presets come from: the shipped ones in the top-level presets/ folder, and the user's in
HOME/presets and <config>/presets (beside the settings file), listed under their own heading;
a bad one of yours is one line naming the file, the key and the reason, and hides nothing."""

from __future__ import annotations

import json

import pytest

from overfit_tui.core.paths import package_presets_dir
from overfit_tui.core.presets import list_presets

from ..conftest import REPO, TINY_TOML


@pytest.fixture
def config_dir(tmp_path, monkeypatch):
    cfg = tmp_path / "config"
    monkeypatch.setenv("OVERFIT_TUI_CONFIG", str(cfg / "config.toml"))
    (cfg / "presets").mkdir(parents=True)
    return cfg


def test_shipped_presets_live_in_the_top_level_folder():
    assert package_presets_dir() == REPO / "presets"  # a checkout (editable install) reads presets/ itself
    assert not (REPO / "src" / "overfit_tui" / "presets").exists()
    shipped = list_presets()
    assert len(shipped) == len(list((REPO / "presets").glob("*.toml"))) >= 10
    assert not any(p.mine or p.error for p in shipped)


def test_your_presets_list_under_their_own_heading_and_a_bad_one_hides_nothing(cli, home, config_dir):
    home.presets_dir.mkdir(parents=True, exist_ok=True)
    (home.presets_dir / "tiny-home.toml").write_text(TINY_TOML.replace('name = "tiny"', 'name = "tiny-home"'))
    (config_dir / "presets" / "tiny-config.toml").write_text(TINY_TOML.replace('name = "tiny"', 'name = "tiny-config"'))
    (config_dir / "presets" / "typo.toml").write_text(
        TINY_TOML.replace('name = "tiny"', 'name = "typo"').replace("[train]", "[trian]")
    )
    (config_dir / "presets" / "broken.toml").write_text('study = "randomization"\nseeds = [0,\n')
    code, out, err = cli("presets")
    assert code == 0
    lines = err.strip().splitlines()
    assert len(lines) == 2, err  # one line per bad preset
    typo = next(ln for ln in lines if "typo.toml" in ln)
    assert "key 'trian'" in typo and "did you mean 'train'" in typo
    assert "broken.toml" in next(ln for ln in lines if "broken" in ln) and "not valid TOML" in err
    yours, shipped = out.index("your presets"), out.index("shipped presets")
    assert yours < out.index("tiny-home") < out.index("tiny-config") < shipped < out.index("smoke-mnist1d")

    code, out, _ = cli("presets", "--json")
    rows = {r["name"]: r for r in json.loads(out)}
    assert rows["tiny-home"]["mine"] and rows["tiny-config"]["mine"] and not rows["smoke-mnist1d"]["mine"]
    assert "trian" in rows["typo"]["error"] and "error" not in rows["tiny-config"]
    assert len(rows) == len(list((REPO / "presets").glob("*.toml"))) + 4  # the bad ones hide no other

    code, out, _ = cli("check", "tiny-config")  # found by name from the config folder
    assert code == 0 and str(config_dir / "presets" / "tiny-config.toml") in out.replace("\n", "")


def test_your_preset_overrides_a_shipped_one_of_the_same_name(cli, config_dir):
    (config_dir / "presets" / "smoke-mnist1d.toml").write_text(
        TINY_TOML.replace('name = "tiny"', 'name = "smoke-mnist1d"')
    )
    code, out, _ = cli("presets", "--json")
    (smoke,) = [r for r in json.loads(out) if r["name"] == "smoke-mnist1d"]
    assert smoke["mine"] and smoke["file"] == str(config_dir / "presets" / "smoke-mnist1d.toml")
