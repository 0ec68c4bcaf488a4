"""The settings file: defaults without one, each key read, and one line naming file, key and reason."""

from __future__ import annotations

import re

import pytest

from overfit_tui.core.config import Config, load_config
from overfit_tui.core.errors import SpecError
from overfit_tui.core.paths import default_home


def test_no_file_means_the_defaults(tmp_path):
    assert load_config(tmp_path / "absent.toml") == Config()
    assert Config().band == "ci" and Config().bell is False


def test_every_key_is_read(tmp_path):
    p = tmp_path / "config.toml"
    p.write_text('home = "~/lab"\ntheme = "nord"\nband = "sd"\nbell = true\n')
    assert load_config(p) == Config(home="~/lab", theme="nord", band="sd", bell=True)


@pytest.mark.parametrize(
    ("text", "key", "says"),
    [
        ('bnad = "sd"\n', "bnad", "did you mean 'band'?"),
        ('band = "iqr"\n', "band", "not a band kind"),
        ('bell = "yes"\n', "bell", "expected bool, got str"),
        ("gpu_slots = 2\n", "gpu_slots", "unknown setting"),  # slots are per home: `queue --gpu`
        ("band = \n", "-", "not valid TOML"),
    ],
)
def test_a_bad_file_is_one_line_naming_file_key_and_reason(tmp_path, text, key, says):
    p = tmp_path / "config.toml"
    p.write_text(text)
    with pytest.raises(SpecError) as e:
        load_config(p)
    msg = str(e.value)
    assert "\n" not in msg and str(p) in msg and f"key '{key}'" in msg and says in msg, msg


def test_a_folder_in_place_of_the_file_is_refused(tmp_path):
    (tmp_path / "config.toml").mkdir()
    with pytest.raises(SpecError, match="not a regular file"):
        load_config(tmp_path / "config.toml")


def test_the_home_setting_sits_between_the_variable_and_the_xdg_default(tmp_path, monkeypatch):
    p = tmp_path / "config.toml"
    p.write_text(f'home = "{tmp_path / "from-config"}"\n')
    monkeypatch.setenv("OVERFIT_TUI_CONFIG", str(p))
    monkeypatch.delenv("OVERFIT_TUI_HOME", raising=False)
    assert default_home() == tmp_path / "from-config"
    monkeypatch.setenv("OVERFIT_TUI_HOME", str(tmp_path / "from-env"))
    assert default_home() == tmp_path / "from-env"


def test_env_number_takes_a_number_in_range_and_names_a_bad_one(monkeypatch):
    from overfit_tui.core.config import env_number

    monkeypatch.delenv("X_S", raising=False)
    assert env_number("X_S", 10.0, 0.1, 60) == 10.0  # unset: the default
    for raw, want in (("3", 3.0), (" 0.5 ", 0.5), ("", 10.0)):
        monkeypatch.setenv("X_S", raw)
        assert env_number("X_S", 10.0, 0.1, 60) == want
    monkeypatch.setenv("X_N", "2")
    assert env_number("X_N", 1, 0, 9, integer=True) == 2 and type(env_number("X_N", 1, 0, 9, integer=True)) is int
    for raw in ("abc", "nan", "inf", "-1", "0", "61", "1e308"):
        monkeypatch.setenv("X_S", raw)
        with pytest.raises(
            SpecError, match=rf"environment: key 'X_S': '{re.escape(raw)}' is not a number from 0.1 to 60"
        ):
            env_number("X_S", 10.0, 0.1, 60)
    monkeypatch.setenv("X_N", "1.5")
    with pytest.raises(SpecError, match="is not a whole number from 0 to 9"):
        env_number("X_N", 1, 0, 9, integer=True)
