"""Complexity measures on any stored runs, for the app and the CLI alike: the stored records
as the measures' inputs (`inputs_of`), the measuring itself off torch until it is called
(`measure`), and the table as CSV, JSON and Markdown (`to_csv`, `to_json`, `to_markdown`,
`write_table`; Markdown cells through export/formats.py's helpers)."""

from __future__ import annotations

import csv
import io
import json
import math
import time
from pathlib import Path

from overfit_tui.core.records import RunRecord
from overfit_tui.export.formats import md_row
from overfit_tui.studies.complexity.fields import MEASURES
from overfit_tui.studies.complexity.table import MeasureTable, RunInput, fmt


def inputs_of(store, records: list[RunRecord]) -> list[RunInput]:
    """The stored run records as the measures' inputs."""
    return [RunInput.of(r, store.home.run_dir(r.id)) for r in records]


def measure(inputs: list[RunInput], data_dir: Path, cache_dir: Path | None = None, **kw) -> MeasureTable:
    """studies/complexity/on_runs.measure_runs, imported here so that torch loads only now."""
    from overfit_tui.studies.complexity.on_runs import measure_runs

    return measure_runs(inputs, data_dir, cache_dir, **kw)


def _plain(v):
    return None if isinstance(v, float) and not math.isfinite(v) else v


def to_csv(t: MeasureTable) -> str:
    """One row per run (the measures as columns), then a blank line and the tau of each measure."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(t.columns())
    for row in t.cells():
        w.writerow(["" if v is None else _plain(v) for v in row])
    w.writerow([])
    w.writerow(t.tau_columns())
    for row in t.tau_cells():
        w.writerow(["" if v is None else v for v in row])
    return buf.getvalue()


def to_json(t: MeasureTable) -> str:
    runs = [dict(zip(t.columns(), map(_plain, row), strict=True)) for row in t.cells()]
    taus = [dict(zip(t.tau_columns(), row, strict=True)) for row in t.tau_cells()]
    return json.dumps({"runs": runs, "taus": taus}, indent=2, sort_keys=True) + "\n"


def to_markdown(t: MeasureTable) -> str:
    labels = {f.key: f.label for f in MEASURES}
    cols = [labels.get(c, c) for c in t.columns()]
    out = [f"# Complexity measures of {len(t.rows)} runs ({t.measured} measured)", ""]
    out += [md_row(cols), "|" + "---|" * len(cols)]
    out += [md_row(fmt(v) for v in row) for row in t.cells()]
    out += ["", "## Kendall tau of each measure with the generalization gap", ""]
    out += [
        "The gap is train accuracy (on the labels trained on) minus test accuracy; the null band is the "
        "95 % quantile of tau with the gap permuted across the runs (a measure ranks the gap only above it).",
        "",
    ]
    out += [md_row(t.tau_columns()), "|" + "---|" * len(t.tau_columns())]
    out += [md_row([labels.get(row[0], row[0]), *(fmt(v) for v in row[1:])]) for row in t.tau_cells()]
    return "\n".join(out) + "\n"


def write_table(t: MeasureTable, folder: Path, stem: str | None = None) -> list[Path]:
    """CSV and Markdown of the table in `folder` (created), named `stem` (default: measures-<time>)."""
    folder.mkdir(parents=True, exist_ok=True)
    stem = stem or time.strftime("measures-%Y%m%d-%H%M%S")
    paths = [folder / f"{stem}.csv", folder / f"{stem}.md"]
    paths[0].write_text(to_csv(t))
    paths[1].write_text(to_markdown(t))
    return paths
