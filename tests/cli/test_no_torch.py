"""Listing, --help and the app's first screen never load torch (STYLE habit 17): a fresh
interpreter runs `overfit-tui presets`, `--help` and `runs` on a home of finished runs, and imports
the app, then says whether torch was imported and, if so, which of the project's modules asked
for it. The cli, ui, export, store and listing modules import no engine module (nor torch) at
module level: checked on their source."""

from __future__ import annotations

import ast
import subprocess
import sys

import pytest

from ..conftest import REPO
from ..ui.finished_store import load_into

PROBE = """
import sys, traceback
first = []

class Watch:  # records who asked for torch first, then lets the import go on
    def find_spec(self, name, path=None, target=None):
        if name == "torch" and not first:
            first.append([f.filename.split("overfit_tui/")[-1] for f in traceback.extract_stack()
                          if "overfit_tui" in f.filename])
        return None

sys.meta_path.insert(0, Watch())
what = sys.argv[1]
if what == "app":
    import overfit_tui.ui.app
else:
    sys.argv = ["overfit-tui", *sys.argv[2:]]
    from overfit_tui.cli import main
    try:
        main()
    except SystemExit as e:
        assert not e.code, e.code
print("TORCH", "torch" in sys.modules, " <- ".join(reversed(first[0])) if first else "-", file=sys.stderr)
"""


def _torch(*args: str) -> tuple[bool, str]:
    out = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    line = next(ln for ln in out.stderr.splitlines() if ln.startswith("TORCH "))
    _, loaded, chain = line.split(" ", 2)
    return loaded == "True", chain


@pytest.mark.parametrize("what", ["presets", "--help", "runs", "app"])
def test_listing_help_and_the_app_leave_torch_out(home, what):
    load_into(home)
    args = {
        "presets": ["cli", "presets"],
        "--help": ["cli", "--help"],
        "runs": ["cli", "runs", "--home", str(home.root)],
    }
    loaded, chain = _torch(*args.get(what, ["app"]))
    assert not loaded, f"torch imported by: {chain}"


LISTING = ["cli", "ui", "export", "store", "ui_text.py", "runs/feed.py", "runs/manage.py", "runs/queue.py"]
LISTING += ["runs/records.py", "runs/liveness.py"]


def test_listing_modules_import_no_engine_at_module_level():
    src = REPO / "src" / "overfit_tui"
    files = [p for name in LISTING for p in ([src / name] if name.endswith(".py") else (src / name).rglob("*.py"))]
    assert len(files) > 40
    bad = []
    for path in files:
        for node in ast.parse(path.read_text()).body:  # module level only: lazy imports are allowed
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            bad += [
                f"{path.relative_to(src)}: {n}"
                for n in names
                if n.split(".")[0] == "torch" or n.startswith("overfit_tui.engine")
            ]
    assert not bad, bad
