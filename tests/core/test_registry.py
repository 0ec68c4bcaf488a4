"""Plain registries (core/registry.py) and the study registry built on one: names known at once
and in their order, an object built on its first `get`, an unknown name one SpecError line that
names the nearest valid one; the study registry loads a study's package on first use only."""

from __future__ import annotations

import subprocess
import sys

import pytest

from overfit_tui.core.errors import SpecError
from overfit_tui.core.registry import Registry


def test_declared_names_load_on_first_get_and_once():
    built = []

    def load(name: str) -> str:
        built.append(name)
        return name.upper()

    reg: Registry[str] = Registry("fruit", ("pear", "apple", "fig"), load)
    assert reg.names() == ["pear", "apple", "fig"] and list(reg) == reg.names()
    assert "fig" in reg and "kiwi" not in reg
    assert built == [] and reg.loaded() == []
    assert reg.get("apple") == "APPLE" and reg.get("apple") == "APPLE"
    assert built == ["apple"] and reg.loaded() == ["apple"]
    reg.register("kiwi", "KIWI")  # an object given at once sits after the declared names
    assert reg.names() == ["pear", "apple", "fig", "kiwi"] and reg.get("kiwi") == "KIWI"
    with pytest.raises(SpecError) as e:
        reg.get("pearr")
    assert "unknown fruit 'pearr'" in str(e.value) and "did you mean 'pear'?" in str(e.value)
    assert "\n" not in str(e.value) and built == ["apple"]  # an unknown name loads nothing
    with pytest.raises(ValueError, match="registered twice"):
        reg.register("fig", "FIG")
    with pytest.raises(ValueError, match="load"):
        Registry("fruit", ("pear",))


def test_the_study_registry_knows_every_name_before_loading_any():
    code = (
        "import sys\n"
        "from overfit_tui.core.errors import SpecError\n"
        "from overfit_tui.studies import ORDER, STUDIES, field_for, fields_for\n"
        "pkgs = lambda: [n for n in ORDER if 'overfit_tui.studies.' + n in sys.modules]\n"
        "assert STUDIES.names() == list(ORDER) and len(ORDER) >= 14 and pkgs() == []\n"
        "try:\n"
        "    STUDIES.get('lotery')\n"
        "except SpecError as e:\n"
        "    print('ERR', e)\n"
        "assert pkgs() == [] and 'numpy' not in sys.modules\n"
        "fields_for(['kernel', 'no-such-study'])\n"
        "field_for('lottery', 'final_test_acc')\n"
        "assert STUDIES.get('kernel').name == 'kernel'\n"
        "print('LOADED', *pkgs(), *STUDIES.loaded())\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    lines = dict(ln.split(" ", 1) for ln in out.stdout.splitlines())
    assert lines["ERR"] == "key 'study': unknown study 'lotery', did you mean 'lottery'?"
    assert lines["LOADED"].split() == ["kernel", "lottery", "kernel", "lottery"]
