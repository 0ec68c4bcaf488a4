"""Layers import one way and the headless core never imports Textual: the import-linter
contracts in pyproject.toml, run here on the real tree and on a copy with a deliberate
back-edge (which must break them); plus a fresh interpreter that imports every headless module."""

from __future__ import annotations

import pkgutil
import shutil
import subprocess
import sys
from pathlib import Path

import overfit_tui

from ..conftest import REPO

HEADLESS = ("core", "engine", "studies", "store", "runs", "export")


def _lint(src: Path) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("lint-imports")
    env = {"PYTHONPATH": str(src), "PATH": "/usr/bin:/bin"}
    return subprocess.run([str(exe), "--config", str(REPO / "pyproject.toml")], capture_output=True, text=True, env=env)


def test_layer_contracts_hold():
    out = _lint(REPO / "src")
    assert out.returncode == 0, out.stdout[-3000:]
    assert "4 kept, 0 broken" in out.stdout


def test_a_back_edge_breaks_the_contract(tmp_path):
    src = tmp_path / "src"
    shutil.copytree(REPO / "src" / "overfit_tui", src / "overfit_tui", ignore=shutil.ignore_patterns("__pycache__"))
    errors = src / "overfit_tui" / "core" / "errors.py"
    errors.write_text(errors.read_text() + "\n\ndef _late():\n    from overfit_tui.studies import get_study  # lazy\n")
    out = _lint(src)
    assert out.returncode != 0
    assert "overfit_tui.core.errors -> overfit_tui.studies" in out.stdout


def test_every_headless_module_imports_without_textual_or_ray():
    names = [
        m.name
        for m in pkgutil.walk_packages(overfit_tui.__path__, "overfit_tui.")
        if m.name.split(".")[1] in HEADLESS or m.name.split(".")[1] == "cli"
    ]
    assert len(names) > 30
    code = (
        "import importlib, sys\n"
        f"for n in {names!r}: importlib.import_module(n)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'textual_plotext', 'plotext', 'ray'))\n"
        "assert not bad, bad\n"
        "print('clean')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "clean" in out.stdout
