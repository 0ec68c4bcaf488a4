"""Conventions of the ecosystem: shell completion (typer's, installed into a throwaway home),
`--json` on every command that lists something, NO_COLOR in the CLI and in the app."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys

import typer.main
from typer.testing import CliRunner

from overfit_tui.cli import app

from ..conftest import REPO

PROG = "overfit-tui"
COLOR_SGR = re.compile(r"\x1b\[(?:[0-9;]*;)?(?:3[0-9]|4[0-9]|9[0-7]|10[0-7])(?:;[0-9;]*)?m")  # a colour, not bold


def _invoke(args, env=None):
    return CliRunner().invoke(app, args, env=env, prog_name=PROG)


def test_completion_installs_into_the_given_home_only(tmp_path):
    fake = tmp_path / "fake-home"
    fake.mkdir()
    real = [os.path.join(os.path.expanduser("~"), f) for f in (".bashrc", f".bash_completions/{PROG}.sh")]
    before = [os.stat(f).st_mtime_ns if os.path.exists(f) else None for f in real]
    res = _invoke(["--install-completion", "bash"], env={"HOME": str(fake), "SHELL": "/bin/bash"})
    assert res.exit_code == 0, res.output
    script = fake / ".bash_completions" / f"{PROG}.sh"
    assert "_OVERFIT_TUI_COMPLETE=complete_bash" in script.read_text()
    assert f"complete -o default -F _overfit_tui_completion {PROG}" in script.read_text()
    assert str(script) in (fake / ".bashrc").read_text()
    assert [os.stat(f).st_mtime_ns if os.path.exists(f) else None for f in real] == before  # the real home untouched
    shown = _invoke(["--show-completion", "bash"], env={"HOME": str(fake)})
    assert shown.exit_code == 0 and "_overfit_tui_completion" in shown.stdout


def test_completion_completes_commands_and_options(tmp_path):
    def complete(words: str, cword: int) -> list[str]:
        env = {"_OVERFIT_TUI_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": str(cword)}
        env["HOME"] = str(tmp_path)
        res = _invoke([], env=env)
        return res.stdout.split()

    assert complete(f"{PROG} pre", 1) == ["presets"]
    assert {"--json", "--status", "--home"} <= set(complete(f"{PROG} runs --", 2))


def _json_commands() -> list[str]:
    root = typer.main.get_command(app)
    # `measures` computes rather than lists (its --json is tested in tests/cli/test_measures_cli.py)
    return sorted(n for n, c in root.commands.items() if n != "measures" and any("--json" in p.opts for p in c.params))


ARGS = {"check": ["smoke-mnist1d"]}  # a required argument of a listing, where it has one


def test_every_listing_command_speaks_json(home):
    from tests.ui.finished_store import load_into

    load_into(home)  # recorded runs: `runs` and `claims` have something to list
    cmds = _json_commands()
    assert {"presets", "check", "runs", "queue", "devices", "claims"} <= set(cmds)
    out = {}
    for name in cmds:
        res = _invoke([name, *ARGS.get(name, []), "--json", "--home", str(home.root)])
        assert res.exit_code == 0, (name, res.output[-2000:])
        out[name] = json.loads(res.stdout)
    from overfit_tui.store import Store

    n_runs = len(Store(home).runs())
    listed = out["runs"] if isinstance(out["runs"], list) else out["runs"]["runs"]
    assert len(listed) == n_runs > 100
    assert {p["name"] for p in out["presets"]} >= {"smoke-mnist1d", "double-descent-nn-mnist1d"}
    assert out["check"]["study"] == "randomization"


def _cli(*args: str, env: dict) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "TERM")}
    return subprocess.run(
        [sys.executable, "-m", "overfit_tui", *args],
        capture_output=True,
        text=True,
        env={**base, "PYTHONPATH": str(REPO / "src"), "COLUMNS": "100", **env},
        cwd=REPO,
    )


def test_no_color_is_honoured_by_the_cli(tmp_path):
    home = ["--home", str(tmp_path / "home")]
    colour = _cli("check", "no-such-preset", *home, env={"FORCE_COLOR": "1"})
    assert colour.returncode == 2 and COLOR_SGR.search(colour.stderr), colour.stderr  # the red 'error:'
    plain = _cli("check", "no-such-preset", *home, env={"FORCE_COLOR": "1", "NO_COLOR": "1"})
    assert plain.returncode == 2 and "error:" in plain.stderr and not COLOR_SGR.search(plain.stderr), plain.stderr
    table = _cli("presets", *home, env={"FORCE_COLOR": "1", "NO_COLOR": "1"})
    assert table.returncode == 0 and "smoke-mnist1d" in table.stdout and not COLOR_SGR.search(table.stdout)


def test_no_color_is_honoured_by_the_app(home, monkeypatch):
    from textual.filter import Monochrome, NoColor

    from overfit_tui.ui.app import make_app

    def filters(no_color: bool) -> list:
        if no_color:
            monkeypatch.setenv("NO_COLOR", "1")
        else:
            monkeypatch.delenv("NO_COLOR", raising=False)
        got = []

        async def go():
            a = make_app(home=home.root, poll=False)
            async with a.run_test(size=(80, 24)):
                got.extend(a._filters)

        asyncio.run(go())
        return [f for f in got if isinstance(f, (Monochrome, NoColor))]

    assert filters(no_color=True)  # every segment drawn without colour
    assert not filters(no_color=False)
