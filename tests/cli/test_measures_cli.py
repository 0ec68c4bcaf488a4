"""`overfit-tui measures REF`: the table of a group whose runs kept weights (exit 0), a group
trained before weights were kept (exit 1, each run "no weights"), a bad reference (exit 2)."""

from __future__ import annotations

import csv
import io
import json
import math

import pytest

from overfit_tui.core.records import RunRecord

from ..studies.fake_weights import give_weights
from ..ui.finished_store import load_into


def _smoke(store) -> list[RunRecord]:
    return [r for r in store.runs() if r.group.startswith("smoke-mnist1d")]


def test_measures_of_a_group_with_weights_then_one_without_then_a_bad_ref(cli, home, store, tmp_path):
    load_into(home)
    runs = _smoke(store)
    weighted = [r for r in runs if r.spec.params["condition"] == "labels"][:3]
    finals = {r.id: give_weights(home, r, 0.05 * (i + 1)) for i, r in enumerate(weighted)}
    out_csv = tmp_path / "m.csv"
    code, out, err = cli("measures", runs[0].group, "--csv", str(out_csv))
    assert code == 0, err
    assert "Kendall tau with the gap" in out
    rows = list(csv.reader(io.StringIO(out_csv.read_text())))
    header, body = rows[0], rows[1 : 1 + len(runs)]
    assert header[:4] == ["run", "label", "study", "gap"]
    by_id = {row[0]: dict(zip(header, row)) for row in body}
    assert set(by_id) == {r.id for r in runs}
    for rid, final in finals.items():
        want = math.sqrt(sum(float(t.double().pow(2).sum()) for t in final.values()))
        assert float(by_id[rid]["l2_norm"]) == pytest.approx(want, rel=1e-9)
        assert int(by_id[rid]["n_params"]) == sum(t.numel() for t in final.values())
    assert sum(row["note"] == "no weights" for row in by_id.values()) == len(runs) - 3
    code, out, _ = cli("measures", runs[0].group, "--json")
    data = json.loads(out)
    assert code == 0 and len(data["runs"]) == len(runs)
    assert {t["measure"]: t["runs"] for t in data["taus"]}["l2_norm"] == 3

    other = next(r.group for r in store.runs() if r.group.startswith("randomization-mnist1d"))
    code, out, err = cli("measures", other, "--json")
    assert code == 1 and "nothing measured" in err
    assert {r["note"] for r in json.loads(out)["runs"]} == {"no weights"}  # trained before weights were kept

    code, out, err = cli("measures", "zz-no-such")
    assert code == 2 and err.count("\n") == 1 and "no run or group matches" in err
