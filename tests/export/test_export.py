"""Export round trips on real (tiny) runs: JSON -> import -> identical records; CSV one row per
point; Markdown names every run; figures are real vector files; exports are deterministic."""

from __future__ import annotations

import csv
import io

import pytest

from overfit_tui.core.paths import Home
from overfit_tui.export.compare import legend_names, spec_diff
from overfit_tui.export.formats import to_csv, to_json, to_markdown, write
from overfit_tui.export.transfer import import_json, load_comparison
from overfit_tui.runs.launcher import launch, wait
from overfit_tui.store import Store
from overfit_tui.studies.groups import group_from_dict

TINY = {
    "study": "randomization",
    "name": "tiny-export",
    "data": {"name": "mnist1d", "n_train": 300},
    "models": [{"name": "mlp", "width": 32}],
    "train": {"lr": 0.05, "lr_decay": 1.0, "batch_size": 100, "epochs": 15, "log_every": 3},
    "params": {"corruption": [0.0, 1.0], "inputs": []},
}


@pytest.fixture(scope="module")
def two_groups(tmp_path_factory, _data_cache):
    home = Home.resolve(tmp_path_factory.mktemp("export") / "home")
    store = Store(home)
    g1, _ = launch(store, group_from_dict(TINY), devices=["cpu"])
    g2, _ = launch(store, group_from_dict({**TINY, "train": {**TINY["train"], "lr": 0.02}}), devices=["cpu"])
    wait(store, g1, 120)
    wait(store, g2, 120)
    return store, g1, g2


def test_names_by_difference(two_groups):
    store, g1, g2 = two_groups
    recs = store.runs(g1) + store.runs(g2)
    diff = spec_diff(recs)
    assert set(diff) == {"params.p", "train.lr"}
    assert legend_names(recs) == [  # the label says the condition; what else differs follows
        "true labels · lr=0.05",
        "random labels · lr=0.05",
        "true labels · lr=0.02",
        "random labels · lr=0.02",
    ]


def test_json_round_trip_into_another_store(two_groups, tmp_path):
    store, g1, g2 = two_groups
    c = load_comparison(store, [g1, g2])
    path = tmp_path / "cmp.json"
    write(c, "json", path)
    other = Store(Home.resolve(tmp_path / "other"))
    assert import_json(other, path) == (4, 0)
    assert import_json(other, path) == (0, 4)  # idempotent
    again = load_comparison(other, [g1, g2])
    local = ("pid", "log")  # a process and a path of the exporting machine are not carried over
    assert [{k: v for k, v in r.to_dict().items() if k not in local} for r in again.records] == [
        {k: v for k, v in r.to_dict().items() if k not in local} for r in c.records
    ]
    assert all(r.pid is None and r.log is None for r in again.records)
    assert again.events == c.events
    assert to_json(load_comparison(other, [g1, g2])) == to_json(again)


def test_csv_has_one_row_per_point_and_diff_columns(two_groups):
    store, g1, g2 = two_groups
    c = load_comparison(store, [g1, g2])
    all_rows = list(csv.DictReader(io.StringIO(to_csv(c))))
    summary = [r for r in all_rows if r["metric"].startswith("summary.")]
    rows = [r for r in all_rows if not r["metric"].startswith("summary.")]
    declared = [f.key for f in c.fields()]
    assert len(summary) == sum(1 for r in c.records for k in declared if k in r.summary)
    assert {r["metric"] for r in summary} == {f"summary.{k}" for k in declared}
    expected = sum(
        sum(1 for k in ("train_loss", "train_acc", "test_loss", "test_acc") if k in e)
        for evs in c.events.values()
        for e in evs
    )
    assert len(rows) == expected
    assert {"params.p", "train.lr"} <= set(rows[0])
    assert {r["run"] for r in rows} == {r.id for r in c.records}
    float(rows[0]["value"])


def test_markdown_contains_every_run_and_is_deterministic(two_groups):
    store, g1, g2 = two_groups
    c = load_comparison(store, [g1, g2])
    md = to_markdown(c)
    for r in c.records:
        assert r.id in md
    assert "## Spec differences" in md and "train.lr" in md and "## Provenance" in md
    assert to_markdown(load_comparison(store, [g1, g2])) == md


def test_cli_export_and_unknown_format(two_groups, tmp_path):
    from typer.testing import CliRunner

    from overfit_tui.cli import app

    store, g1, _ = two_groups
    out = tmp_path / "x.csv"
    res = CliRunner().invoke(app, ["export", g1, "--format", "csv", "-o", str(out), "--home", str(store.home.root)])
    assert res.exit_code == 0, res.output
    assert len(out.read_text().splitlines()) > 3
    res = CliRunner().invoke(app, ["export", g1, "--format", "xlsx", "-o", str(out), "--home", str(store.home.root)])
    assert res.exit_code != 0
