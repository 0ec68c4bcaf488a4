"""The study layout (docs/architecture.md): one package per study, its description (__init__,
spec, figures, claims) torch-free, its runner (train.py) loaded only when a job executes.
Proven in a fresh interpreter, where sys.modules shows exactly what an import pulled in."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys

import overfit_tui.studies as studies_pkg
from overfit_tui.studies import STUDIES

RUNNER_SIDE = {"train", "landscape", "surgery", "context", "data", "pruning", "overparam_nets", "measures", "on_runs"}


def _description_modules() -> list[str]:
    names = ["overfit_tui.studies"]
    for m in pkgutil.walk_packages(studies_pkg.__path__, "overfit_tui.studies."):
        if m.name.rsplit(".", 1)[1] not in RUNNER_SIDE:
            names.append(m.name)
    return names


def _fresh(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)


def test_every_study_is_a_package_exposing_STUDY_with_a_runner():
    packages = {m.name for m in pkgutil.iter_modules(studies_pkg.__path__) if m.ispkg} - {"shared"}
    assert packages == set(STUDIES.names())  # every package registered, every study a package
    for name in STUDIES.names():
        pkg = importlib.import_module(f"overfit_tui.studies.{name}")
        assert pkg.STUDY is STUDIES.get(name)
        assert type(pkg.STUDY).__module__ == f"overfit_tui.studies.{name}.spec"
        assert importlib.util.find_spec(f"overfit_tui.studies.{name}.train") is not None, name
    assert len(STUDIES.names()) >= 14


def test_descriptions_import_no_torch_in_a_fresh_interpreter():
    names = _description_modules()
    assert len(names) > 40  # every package's __init__, spec, figures and claims, and the framework
    code = (
        "import importlib, sys\n"
        "import overfit_tui.studies\n"
        "assert 'torch' not in sys.modules, 'import overfit_tui.studies loaded torch'\n"
        f"for n in {names!r}:\n"
        "    importlib.import_module(n)\n"
        "    assert 'torch' not in sys.modules, n + ' loaded torch'\n"
        "from overfit_tui.studies import STUDIES\n"
        "for s in map(STUDIES.get, STUDIES.names()):\n"
        "    s.summary_fields, s.claims(), s.default_group(), s.figures([]), s.tables([])\n"
        "assert 'torch' not in sys.modules, 'describing a study loaded torch'\n"
        "print('torch-free', len(STUDIES.names()))\n"
    )
    out = _fresh(code)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "torch-free 1" in out.stdout


def test_every_shipped_preset_expands_without_torch():
    """Validating and expanding a group (what `check`, the app's form and a launch do) loads no
    torch: every shipped preset of every study, expanded in turn in one fresh interpreter (model
    sizes are counted from the spec: engine/sizes.py)."""
    out = _fresh(
        "import sys\n"
        "from overfit_tui.core.presets import list_presets\n"
        "from overfit_tui.studies import get_study\n"
        "from overfit_tui.studies.groups import load_group\n"
        "for p in list_presets():\n"
        "    group, _ = load_group(p.name)\n"
        "    study = get_study(group.study)\n"
        "    assert study.expand(group) and study.jobs(study.expand(group))\n"
        "    print('EXPANDED', p.study, p.name, 'torch' in sys.modules)\n"
    )
    assert out.returncode == 0, out.stderr[-2000:]
    rows = [ln.split()[1:] for ln in out.stdout.splitlines() if ln.startswith("EXPANDED ")]
    assert {study for study, _, _ in rows} == set(STUDIES.names())  # every study has a shipped preset
    assert [(study, name) for study, name, torch in rows if torch == "True"] == []


def test_the_runner_side_is_what_loads_torch():
    """The check above can fail: a study's train.py does import torch, lazily through execute."""
    out = _fresh(
        "import sys\n"
        "from overfit_tui.studies import get_study\n"
        "study = get_study('kernel')\n"
        "assert 'torch' not in sys.modules\n"
        "import importlib\n"
        "train = importlib.import_module(type(study).__module__.rpartition('.')[0] + '.train')\n"
        "assert callable(train.execute) and 'torch' in sys.modules\n"
        "print('runner loads torch')\n"
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert "runner loads torch" in out.stdout
