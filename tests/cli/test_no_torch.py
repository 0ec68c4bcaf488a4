"""Listing, --help and the app's first screen never load torch (STYLE habit 17): a fresh
interpreter runs `overfit-tui presets`, `--help` and `runs` on a home of finished runs, and imports
the app, then says whether torch was imported and, if so, which of the project's modules asked
for it, and which study packages it imported (the registry loads a study on first use: `runs`
pays for the studies it lists, `presets` and `--help` for none). The cli, ui, export, store and
listing modules import no engine module (nor torch) at module level: checked on their source."""

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
from overfit_tui.studies import ORDER
print("STUDIES", *(n for n in ORDER if "overfit_tui.studies." + n in sys.modules), file=sys.stderr)
"""


def _probe(*args: str) -> tuple[bool, str, set[str]]:
    """(torch imported, who asked for it first, the study packages imported) by one fresh run."""
    out = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    lines = out.stderr.splitlines()
    _, loaded, chain = next(ln for ln in lines if ln.startswith("TORCH ")).split(" ", 2)
    studies = set(next(ln for ln in lines if ln.startswith("STUDIES")).split()[1:])
    return loaded == "True", chain, studies


def _torch(*args: str) -> tuple[bool, str]:
    return _probe(*args)[:2]


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


def test_a_detached_run_on_a_cpu_box_queues_without_torch(home, tmp_path):
    """`run --detach` checks the data and the devices and queues the group: without a GPU from the
    driver, the CLI's process never imports torch (its workers do)."""
    from overfit_tui.core.system import gpu_count

    from ..conftest import TINY_TOML

    if gpu_count():
        pytest.skip("the driver reports a GPU: a launch asks torch which ones it sees")
    preset = tmp_path / "tiny.toml"
    preset.write_text(TINY_TOML)
    loaded, chain = _torch("cli", "run", str(preset), "--detach", "--home", str(home.root))
    assert not loaded, f"torch imported by: {chain}"


def test_a_listing_imports_only_the_studies_it_shows(home):
    from overfit_tui.store import Store

    load_into(home)
    stored = {r.study for r in Store(home).runs()}
    assert len(stored) >= 4  # the finished store holds several studies' runs
    assert _probe("cli", "runs", "--home", str(home.root))[2] == stored
    assert _probe("cli", "runs", "--study", "kernel", "--home", str(home.root))[2] == {"kernel"}
    assert _probe("cli", "presets")[2] == set()
    assert _probe("cli", "--help")[2] == set()


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
