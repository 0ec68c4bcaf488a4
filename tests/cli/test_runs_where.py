"""`overfit-tui runs --where`: fields of the spec and the results, ranges, named terms and words,
all of which must hold; a field no run has is one line naming the nearest one (exit 2)."""

from __future__ import annotations

import json

from overfit_tui.store import Store

from ..ui.finished_store import load_into


def _ids(out: str) -> set[str]:
    return {r["id"] for r in json.loads(out)}


def test_where_filters_on_spec_and_result_fields(cli, home):
    load_into(home)
    runs = Store(home).runs()
    code, out, _ = cli("runs", "--json", "--where", "params.p>=0.5 final_test_acc<0.2 status:finished")
    assert code == 0
    want = {r.id for r in runs if r.spec.params.get("p", -1) >= 0.5 and r.summary.get("final_test_acc", 1) < 0.2}
    assert _ids(out) == want and 10 <= len(want) < len(runs)  # a real cut, not all or nothing
    code, out, _ = cli("runs", "--json", "--where", "train.lr=0.02 pixels")  # a word: in the label
    assert code == 0
    labels = {r.id: r.label for r in runs}
    got = _ids(out)
    assert got and all("pixels" in labels[i] for i in got)
    assert got == {r.id for r in runs if r.spec.train.lr == 0.02 and "pixels" in r.label}
    code, out, _ = cli("runs", "--where", "study:kernel data.n_train>100000")
    assert code == 0 and "no runs match" in out


def test_an_unknown_field_says_the_nearest_one(cli, home):
    load_into(home)
    code, out, err = cli("runs", "--where", "train.lrr>=0.01")
    assert code == 2 and out == ""
    assert "no run has the field 'train.lrr' (did you mean 'train.lr'?)" in " ".join(err.split())
    assert "Traceback" not in err
