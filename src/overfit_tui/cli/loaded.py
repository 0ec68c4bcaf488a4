"""What only some commands need, in one module the command line imports on first use
(`cli.registry()`): the launcher and the exporters, and the study registry they read (which
loads a study's description, with numpy, only when a command asks for that study). `presets`,
`runs`, `--help` and every command's start never pay for them. Nothing here imports torch (the
worker does)."""

from __future__ import annotations

from overfit_tui.export.formats import write
from overfit_tui.export.report import write_report
from overfit_tui.export.run_data import runs_data
from overfit_tui.export.scorecard import group_claims, latest_groups
from overfit_tui.export.transfer import import_json, load_comparison
from overfit_tui.runs.launcher import cancel, launch, restart
from overfit_tui.studies import STUDIES, fields_for, get_study
from overfit_tui.studies.claims import MARK, evidence_text
from overfit_tui.studies.figures import tables_as_rich
from overfit_tui.studies.groups import load_group

__all__ = [
    "MARK",
    "STUDIES",
    "cancel",
    "evidence_text",
    "fields_for",
    "get_study",
    "group_claims",
    "import_json",
    "latest_groups",
    "launch",
    "load_comparison",
    "load_group",
    "restart",
    "runs_data",
    "tables_as_rich",
    "write",
    "write_report",
]
