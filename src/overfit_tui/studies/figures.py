"""Gathering stored runs into `RunData` and drawing study figures/tables as plain text rows."""

from __future__ import annotations

from overfit_tui.core.records import RunRecord
from overfit_tui.studies.base import RunData, Study


def run_data(store, records: list[RunRecord]) -> list[RunData]:
    return [RunData(r.id, r.label, r.spec_data, r.status, dict(r.summary), store.metrics(r.id)) for r in records]


MAX_ROWS = 40  # a figure with more x values is a curve over time, not a table


def tables_as_rich(study: Study, runs: list[RunData]):
    from rich.table import Table

    out = []
    for fig in study.figures(runs):
        xs = sorted({x for s in fig.series for x in s.x})
        if fig.key == "loss" or fig.is_heatmap or len(xs) > MAX_ROWS:
            continue  # curves: the app draws them; a heatmap's numbers come as one of the study's tables
        t = Table(fig.xlabel, *(s.name for s in fig.series), title=f"{fig.title} ({fig.ylabel})")
        for x in xs:
            t.add_row(f"{x:g}", *(_val(s, x) for s in fig.series))
        out.append(t)
    for tab in study.tables(runs):
        t = Table(*tab.columns, title=tab.title)
        for i in range(len(tab.rows)):
            t.add_row(*(tab.cell(i, j) for j in range(len(tab.columns))))  # Stat cells as mean ± std
        out.append(t)
    return out


def _val(series, x) -> str:
    ys = [f"{sy:.3g}" for sx, sy in zip(series.x, series.y) if sx == x]  # points may share an x
    return " / ".join(ys) if ys else "-"
