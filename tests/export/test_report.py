"""`overfit-tui report`: from a store of real (recorded) runs, a self-contained HTML page, a
Markdown file and its SVG figures with each group's claims, figures, tables and provenance."""

from __future__ import annotations

import re

from typer.testing import CliRunner

from overfit_tui.cli import app
from overfit_tui.export.report import write_report
from overfit_tui.export.scorecard import latest_groups
from overfit_tui.store import Store

from ..ui.finished_store import load_into


def test_html_report_is_self_contained_with_claims_figures_and_provenance(home, tmp_path):
    load_into(home)
    store = Store(home)
    groups = latest_groups(store)
    assert groups
    paths = write_report(store, groups, tmp_path / "rep")
    text = (tmp_path / "rep" / "report.html").read_text()
    # every group with its study, and the randomization claims with verdict marks
    for g in groups:
        assert g in text
    assert "Claims:" in text and re.search(r'class="(holds|fails|pending)">[✓✗…]', text)
    # figures are inline vector plots; nothing is fetched from anywhere
    assert text.count("<svg") >= len(groups)
    assert "<script" not in text and "<link" not in text and "<img" not in text
    assert not re.search(r"""(src|href)=["']https?:""", text) and "@import" not in text
    # provenance of a run: its spec hash and the torch version it ran with
    rec = store.runs(groups[0])[0]
    assert rec.spec_hash[:12] in text and f"torch {rec.provenance['torch']}" in text
    # the Markdown form links the same figures, written as files beside it
    md = (tmp_path / "rep" / "report.md").read_text()
    svgs = [p for p in paths if p.suffix == ".svg"]
    assert svgs and all(f"figures/{p.name}" in md for p in svgs)
    assert "| verdict | claim |" in md and "### Runs" in md


def test_report_command_and_its_errors(home, tmp_path):
    res = CliRunner().invoke(app, ["report", "--home", str(home.root)])
    assert res.exit_code != 0 and "no finished group" in str(res.exception or res.output)
    load_into(home)
    out = tmp_path / "one.html"
    group = latest_groups(Store(home))[0]
    res = CliRunner().invoke(app, ["report", group, "-o", str(out), "--home", str(home.root)])
    assert res.exit_code == 0, res.output
    assert out.exists() and "report on" in res.output
