"""The headless CLI end to end, as a user types it (real subprocesses, tiny real trainings)."""

from __future__ import annotations

import json
import re
import subprocess
import sys

from ..conftest import TINY_TOML
from ..runs.polling import HANG


def cli(*args, home):
    return subprocess.run(
        [sys.executable, "-m", "overfit_tui", *args, "--home", str(home)], capture_output=True, text=True, timeout=300
    )


def test_run_runs_restart_and_errors(tmp_path):
    preset = tmp_path / "tiny-cli.toml"
    preset.write_text(TINY_TOML)
    home = tmp_path / "home"
    out = cli("run", str(preset), "--set", "train.epochs=30", "--device", "cpu", home=home)
    assert out.returncode == 0, out.stderr
    assert "random labels" in out.stdout and "finished" in out.stdout
    assert "Test error vs label corruption" in out.stdout  # the study's figure as a table
    runs = json.loads(cli("runs", "--json", home=home).stdout)
    assert [r["status"] for r in runs] == ["finished", "finished"]
    assert runs[0]["spec"]["train"]["epochs"] == 30 and runs[0]["provenance"]["torch"]
    # restart makes a new run from the stored spec
    out = cli("restart", runs[1]["id"], "--device", "cpu", home=home)
    assert out.returncode == 0, out.stderr
    from overfit_tui.core.paths import Home
    from overfit_tui.runs.launcher import wait
    from overfit_tui.store import Store

    store = Store(Home.resolve(home))
    assert "the originals are kept" in out.stdout and "1 of them had finished" in out.stdout
    new_group = re.search(r"in group (\S+);", out.stdout).group(1)
    (again,) = wait(store, new_group, timeout=HANG)
    assert again.status == "finished" and again.spec_hash == runs[1]["spec_hash"]
    # readable errors, no traceback
    bad = cli("run", str(preset), "--set", "train.lrr=1", home=home)
    assert bad.returncode == 2 and "did you mean 'lr'" in bad.stderr and "Traceback" not in bad.stderr
    missing = cli("run", str(preset), "--set", "data.name=cifar10", "--data-dir", str(tmp_path / "nodata"), home=home)
    assert missing.returncode == 2 and "--download" in missing.stderr
