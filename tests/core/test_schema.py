"""Summary fields are declared once: a throwaway study's new key reaches the CSV, the Markdown
and the CLI table without any change to export/ or ui/; formats, Stat and replicate bands."""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass

import pytest
from typer.testing import CliRunner

from overfit_tui.core.schema import Field, Stat
from overfit_tui.core.spec import field
from overfit_tui.core.specs import DataSpec, ModelSpec, RunSpec, Seeds, TrainSpec
from overfit_tui.runs.records import new_run_records
from overfit_tui.studies import STUDIES
from overfit_tui.studies.base import RunData, Study
from overfit_tui.studies.replicates import replicates, scalar_series, series_of


@dataclass(frozen=True)
class _P:
    knob: float = field(1.0, "a knob")


class Throwaway(Study):
    name = "throwaway"
    title = "Throwaway"
    paper = "none"
    pane = "throwaway"
    Params = _P
    RunParams = _P
    summary_fields = (Field("flux_capacity", "flux capacity", "GW", ".3f", "higher", priority=1),)


@pytest.fixture
def throwaway_store(store):
    STUDIES.register("throwaway", Throwaway())
    try:
        specs = [
            RunSpec("throwaway", f"k={k}", DataSpec(), ModelSpec(), TrainSpec(), Seeds(), _P(k)) for k in (1.0, 2.0)
        ]
        recs = new_run_records("thr-1", specs, [[0], [1]], None)
        for rec, v in zip(recs, (1.21, 0.5)):
            rec.update(status="finished", summary={"flux_capacity": v})
        store.add_group({"id": "thr-1", "name": "thr", "study": "throwaway", "created": 1.0, "tags": [], "notes": ""})
        store.add_runs(recs)
        yield store
    finally:
        STUDIES._items.pop("throwaway", None)


def test_a_new_studys_summary_key_reaches_csv_markdown_and_the_cli(throwaway_store):
    from overfit_tui.cli import app
    from overfit_tui.export.formats import to_csv, to_markdown
    from overfit_tui.export.transfer import load_comparison

    c = load_comparison(throwaway_store, ["thr-1"])
    rows = list(csv.DictReader(io.StringIO(to_csv(c))))
    assert sorted(float(r["value"]) for r in rows if r["metric"] == "summary.flux_capacity") == [0.5, 1.21]
    md = to_markdown(c)
    assert "flux capacity (GW)" in md and "**1.210**" in md  # the header and unit, best value in bold
    out = CliRunner().invoke(app, ["runs", "--home", str(throwaway_store.home.root)], env={"COLUMNS": "160"})
    assert out.exit_code == 0, out.output
    assert "flux capacity" in out.output and "1.210" in out.output and "0.500" in out.output


def test_field_formats_units_missing_and_stats():
    acc = Field("a", "test acc", "%", ".1f", "higher")
    assert acc.format(0.7234) == "72.3%"
    assert acc.format(None) == "-"
    assert acc.format(Stat.of([0.70, 0.72, 0.74])) == "72.0 ± 2.0%"
    steps = Field("s", "steps to fit", "", "d", "lower", missing="not fitted")
    assert steps.format(None) == "not fitted" and steps.format(10420) == "10,420" and steps.format(950) == "950"
    assert steps.format(Stat.of([1000, 1001])) == "1000 ± 0.7071"  # an integer field's mean is not an integer
    assert acc.format(float("nan")) == "nan"
    assert acc.best([0.5, None, 0.9, float("nan")]) == 0.9 and steps.best([3, 1, 2]) == 1
    assert Field("x", "x").best([1, 2]) is None  # no better direction: no winner
    assert Stat.of([None, math.inf]) is None


def _run(label, seed, p, acc, curve):
    spec = {
        "study": "randomization",
        "label": label,
        "seeds": {"init": seed, "order": seed, "noise": seed},
        "params": {"p": p},
    }
    events = [{"kind": "step", "step": s, "train_loss": v} for s, v in curve]
    return RunData(f"{label}", label, spec, "finished", {"final_test_acc": acc}, events)


def test_replicates_become_one_mean_line_with_a_band():
    runs = [
        _run("true labels s0", 0, 0.0, 0.60, [(10, 2.0), (20, 1.0)]),
        _run("true labels s1", 1, 0.0, 0.64, [(10, 1.0), (20, 0.5)]),
        _run("random labels s0", 0, 1.0, 0.10, [(10, 2.3)]),
    ]
    groups = replicates(runs)
    assert [(name, len(rs)) for name, rs in groups] == [("true labels", 2), ("random labels", 1)]
    true, rand = series_of(runs, "step", "train_loss")
    assert true.name == "true labels" and true.n == 2
    assert true.y == (1.5, 0.75) and true.lo == (1.0, 0.5) and true.hi == (2.0, 1.0)
    assert rand.n == 1 and rand.lo is None
    err = scalar_series("mlp", runs, lambda r: r.spec["params"]["p"], lambda r: 1 - r.summary["final_test_acc"])
    assert err.x == (0.0, 1.0) and err.n == 2
    assert err.y[0] == pytest.approx(0.38) and err.lo[0] == pytest.approx(0.36) and err.hi[0] == pytest.approx(0.40)
