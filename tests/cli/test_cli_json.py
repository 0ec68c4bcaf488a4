"""Conventions of the ecosystem: `--version`, and `--json` on every listing (presets, check,
queue, devices) parses as JSON with the fields a script reads."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from overfit_tui import __version__
from overfit_tui.cli import app


def _json(*args):
    res = CliRunner().invoke(app, list(args))
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def test_version():
    res = CliRunner().invoke(app, ["--version"])
    assert res.exit_code == 0 and res.stdout.strip() == f"overfit-tui {__version__}"


def test_every_listing_speaks_json(tmp_path):
    home = ["--home", str(tmp_path / "home")]
    presets = _json("presets", "--json", *home)
    assert {"name", "study", "file", "description"} <= set(presets[0])
    assert "smoke-mnist1d" in {p["name"] for p in presets}
    check = _json("check", "smoke-mnist1d", "--json", *home)
    assert check["study"] == "randomization" and check["runs"] and all("hash" in r for r in check["runs"])
    assert sorted(i for j in check["jobs"] for i in j) == list(range(len(check["runs"])))
    queue = _json("queue", "--json", *home)
    assert queue["jobs"] == [] and queue["paused"] is False and "cpu" in queue["slots"]
    devices = _json("devices", "--json", *home)
    assert devices[0]["device"] == "cpu" and devices[0]["runs"] == [] and devices[0]["workers"] == 0
