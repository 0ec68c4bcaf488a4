"""The wheel ships every preset: a non-editable install finds them from the package, not the checkout."""

from __future__ import annotations

import subprocess
import sys
import zipfile

from ..conftest import REPO


def test_a_non_editable_install_ships_and_lists_every_preset(tmp_path):
    shipped = {p.name for p in (REPO / "presets").glob("*.toml")}
    assert len(shipped) >= 10
    pip = [sys.executable, "-m", "pip", "-q", "--disable-pip-version-check"]
    out = subprocess.run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(tmp_path / "dist"), str(REPO)],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    (wheel,) = (tmp_path / "dist").glob("overfit_tui-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {f"overfit_tui/presets/{n}" for n in shipped} <= names
    site = tmp_path / "site"
    out = subprocess.run(
        [*pip, "install", "--no-deps", "--target", str(site), str(wheel)], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr[-2000:]
    code = (
        "import overfit_tui; from overfit_tui.core.presets import list_presets\n"
        f"assert overfit_tui.__file__.startswith({str(site)!r}), overfit_tui.__file__\n"
        "print(len(list_presets()))\n"
    )
    res = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env={"PYTHONPATH": str(site)}, cwd=tmp_path
    )
    assert res.returncode == 0, res.stderr[-2000:]
    assert int(res.stdout.strip()) == len(shipped)
