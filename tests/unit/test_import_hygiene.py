"""The headless core never imports Textual or plotext (checked in a fresh interpreter)."""

from __future__ import annotations

import subprocess
import sys


def test_core_imports_no_textual():
    code = (
        "import sys\n"
        "import overfit_tui.core.presets, overfit_tui.core.specs, overfit_tui.engine.train, overfit_tui.engine.data\n"
        "import overfit_tui.studies, overfit_tui.studies.figures, overfit_tui.runs.launcher, overfit_tui.runs.worker\n"
        "import overfit_tui.runs.scheduler, overfit_tui.store, overfit_tui.cli\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'plotext', 'textual_plotext'))\n"
        "assert not bad, bad\n"
        "print('clean')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "clean" in out.stdout
