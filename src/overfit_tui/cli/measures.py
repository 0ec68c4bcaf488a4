"""`overfit-tui measures REF`: the complexity measures (norms, margins, spectral bound, path
norm, PAC-Bayes sharpness) of a group's or a run's trained nets, from the weights each run
keeps, and each measure's Kendall tau with the generalization gap over those runs."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape
from rich.table import Table

from overfit_tui.cli import DataDirOpt, HomeOpt, JsonOpt, _store, app, console, err

if TYPE_CHECKING:
    from overfit_tui.studies.complexity.table import MeasureTable

SHOWN = ("n_params", "l2_norm", "dist_init", "log_spec_bound", "log_sharpness")  # the terminal table's columns


@app.command()
def measures(
    ref: str = typer.Argument(..., help="group id or run id (a unique prefix is enough)"),
    csv: Path | None = typer.Option(None, "--csv", help="also write the table (every measure) to this CSV file"),
    json_: bool = JsonOpt,
    home: Path | None = HomeOpt,
    data_dir: Path | None = DataDirOpt,
):
    """Complexity measures of the runs REF names, from their saved weights, ranked against the
    generalization gap (Kendall tau and its permutation null band; >= 3 measured runs).

    Runs trained before weights were kept, closed-form studies and runs still going are listed
    with a note. Exit 0 when at least one run was measured, 1 when none could be."""
    # lazy: the complexity study and the exporters, which every other command would pay for at start
    from overfit_tui.export.measures import inputs_of, measure, to_csv, to_json

    store = _store(home)
    records = store.resolve(ref)
    folder = Path(data_dir) if data_dir else store.home.data_dir
    table = measure(inputs_of(store, records), folder, store.home.data_dir)
    if csv is not None:
        csv.write_text(to_csv(table))
    if json_:
        print(to_json(table), end="")
    else:
        _show(table)
        if csv is not None:
            console.print(f"wrote {escape(str(csv))}", soft_wrap=True)
    if table.measured == 0:
        err.print(f"nothing measured: none of the {len(table.rows)} run(s) could be (see each note)", soft_wrap=True)
        raise typer.Exit(1)


def _num(v) -> str:
    from overfit_tui.studies.complexity.table import fmt

    return f"{v:.3g}" if isinstance(v, float) else fmt(v)


def _show(t: MeasureTable) -> None:
    """The terminal's table: short ids and headers (figures.SHORT), 3 digits; --csv has every measure."""
    from overfit_tui.studies.complexity.fields import MEASURES
    from overfit_tui.studies.complexity.figures import SHORT
    from overfit_tui.studies.complexity.table import fmt

    runs = Table(box=None)
    runs.add_column("run", no_wrap=True, min_width=8)
    runs.add_column("label", no_wrap=True, overflow="ellipsis", max_width=18)
    for name in ("gap", *(SHORT.get(k, k) for k in SHOWN)):
        runs.add_column(name, no_wrap=True, min_width=5, justify="right")
    runs.add_column("note", ratio=1)  # the one column that wraps
    for r in t.rows:
        runs.add_row(
            r.run_id[:8], escape(r.label), _num(r.gap), *(_num(r.values.get(k)) for k in SHOWN), escape(r.note)
        )
    console.print(runs)
    labels = {f.key: f.label for f in MEASURES}
    taus = Table(box=None, title="Kendall tau with the gap (train - test accuracy)")
    for name in t.tau_columns():
        taus.add_column(name, no_wrap=name != "note" and name != "measure", ratio=1 if name == "note" else None)
    for row in t.tau_cells():
        taus.add_row(
            escape(labels.get(row[0], row[0])), *(_num(v) if isinstance(v, float) else fmt(v) for v in row[1:])
        )
    console.print(taus)
