"""`overfit-tui --home H <command>`: the options before a subcommand reach it (they were ignored,
and the command used the default home)."""

from __future__ import annotations

from typer.testing import CliRunner

from overfit_tui.cli import app


def test_home_before_the_subcommand_is_used(tmp_path, monkeypatch):
    default, chosen = tmp_path / "default", tmp_path / "chosen"
    monkeypatch.setenv("OVERFIT_TUI_HOME", str(default))
    res = CliRunner().invoke(app, ["--home", str(chosen), "runs"])
    assert res.exit_code == 0, res.output
    assert chosen.is_dir() and not default.exists()


def test_the_subcommands_own_home_wins(tmp_path, monkeypatch):
    monkeypatch.setenv("OVERFIT_TUI_HOME", str(tmp_path / "default"))
    res = CliRunner().invoke(app, ["--home", str(tmp_path / "a"), "runs", "--home", str(tmp_path / "b")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "b").is_dir() and not (tmp_path / "a").exists()
