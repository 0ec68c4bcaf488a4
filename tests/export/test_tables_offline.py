"""Exports a researcher can paste and parse: the Markdown table keeps its columns when a header
holds pipes (the kernel study's `norm ||w||`), the CSV header names no column twice (two
studies compared side by side), and the served browser page references nothing off the machine."""

from __future__ import annotations

import csv
import io
import re

from overfit_tui.core.records import RunRecord
from overfit_tui.export.compare import Comparison
from overfit_tui.export.formats import to_csv, to_markdown


def _record(i: int, study: str, group: str, summary: dict, **stored) -> RunRecord:  # read as the store reads it
    spec = {"study": study, "label": f"run {i}", "seeds": {"init": i, "order": i, "noise": i}, "params": {}}
    return RunRecord.from_dict({"id": f"r{i}", "group": group, "study": study, "label": f"run {i}", "status": "finished",
            "spec": spec, "summary": summary, "provenance": {}, "created": 0.0, **stored})  # fmt: skip


def _comparison() -> Comparison:
    recs = [
        _record(0, "kernel", "g-kernel", {"norm": 167.0, "final_test_acc": 0.6}),
        _record(1, "randomization", "g-rand", {"final_test_acc": 0.5}),
    ]
    return Comparison(recs, {})


def _cells(line: str) -> list[str]:
    """A Markdown row split on unescaped pipes only."""
    return [c.strip() for c in re.split(r"(?<!\\)\|", line.strip().strip("|"))]


def test_markdown_table_keeps_its_columns_with_pipes_in_a_header():
    lines = to_markdown(_comparison()).splitlines()
    header = next(line for line in lines if line.startswith("| run |"))
    assert "norm \\|\\|w\\|\\|" in header
    i = lines.index(header)
    width = len(_cells(header))
    assert len(_cells(lines[i + 1])) == width  # the --- row
    for row in lines[i + 2 : i + 4]:
        assert len(_cells(row)) == width, row


def test_csv_header_names_each_column_once():
    header = next(csv.reader(io.StringIO(to_csv(_comparison()))))
    assert len(header) == len(set(header)), header
    assert "spec.study" in header  # the differing study, beside the fixed `study` column


def test_served_page_fetches_nothing_from_the_network(tmp_path):
    from overfit_tui.ui.serve import offline_templates

    out = offline_templates(tmp_path)
    pages = list(out.glob("*.html"))
    assert pages
    for page in pages:
        text = page.read_text()
        hrefs = re.findall(r"(?:href|src)=\"(https?://[^\"]+)\"", text)
        assert not hrefs, (page.name, hrefs)
    assert "googleapis" not in "".join(p.read_text() for p in pages)


def test_cells_tell_not_fitted_from_not_applicable_and_not_started():
    rand = _record(2, "randomization", "g-rand", {"final_test_acc": 0.5, "steps_to_fit": None}, started=1.0)
    never = _record(3, "randomization", "g-rand", {}, status="cancelled")  # cancelled while queued: it never trained
    kernel = _record(4, "kernel", "g-kernel", {"test_error": 0.4}, started=1.0)
    c = Comparison([rand, never, kernel], {})
    fields = [f.key for f in c.fields()]
    cells = {r.id: dict(zip(fields, row)) for r, row in zip(c.records, c.summary_cells())}
    assert cells["r2"]["steps_to_fit"] == "not fitted"  # trained, never reached 100 %
    assert cells["r3"]["steps_to_fit"] == "not started"
    assert cells["r4"]["steps_to_fit"] == "n/a"  # a closed-form kernel has no steps
    assert "not fitted" not in to_markdown(Comparison([kernel], {}))


def test_a_runs_headline_is_a_result_not_a_setting():
    from overfit_tui.ui.runs_screen import headline

    du = _record(5, "overparam_du", "g-du", {"m": 50, "final_loss": 1e-9})
    assert headline(du).startswith("final") and "m 50" not in headline(du)
