"""Claims end to end through the CLI: a group whose test risk falls monotonically with N,
imported with `overfit-tui import`, does not hold the double-descent peak (the issue's defect:
it did); one with a peak at N = n and a second descent holds it; `claims --strict` exits 1 while
any claim fails or is pending; the default group is the latest finished one that decides."""

from __future__ import annotations

import json
import math
import random
from pathlib import Path

from typer.testing import CliRunner

from overfit_tui.cli import app
from overfit_tui.core.paths import Home
from overfit_tui.runs.records import new_group_record, new_run_records
from overfit_tui.store import Store
from overfit_tui.studies import get_study
from overfit_tui.studies.groups import load_group

N = 1000  # the RFF preset's training samples: the interpolation threshold N = n


def _cli(*args):
    res = CliRunner().invoke(app, [str(a) for a in args])
    return res.exit_code, res.stdout, res.stderr


def _record_group(home: Home, risk, status="finished", preset="double-descent-rff-mnist1d") -> str:
    """The preset's real runs (3 seeds), finished with made-up summaries: risk(N, seed)."""
    group, _ = load_group(preset)
    study = get_study(group.study)
    runs = study.expand(group)
    grec = new_group_record(group, preset, None)
    recs = new_run_records(grec["id"], runs, study.jobs(runs), preset)
    rng = random.Random(0)
    for r in recs:
        nf, seed = r["spec"]["params"]["n_features"], r["spec"]["seeds"]["init"]
        test = risk(nf, seed) * math.exp(rng.gauss(0, 0.02))
        r["status"], r["started"], r["ended"] = status, 1.0, 2.0
        if status == "finished":
            r["summary"] = {"n": N, "n_features": nf, "test_risk": test, "test_error": min(0.9, test / 2),
                            "train_error": 0.0 if nf >= N else 0.3, "train_risk": 0.0, "norm": 1.0}  # fmt: skip
    Store(home).add_group(grec, recs)
    return grec["id"]


def _falling(nf, seed):
    return 1.0 + 2.0 / math.sqrt(nf) + 0.01 * seed  # strictly decreasing in N: no peak at all


def _double_descent(nf, seed):
    return 0.9 + 3.0 * math.exp(-abs(math.log(nf / N)) * 4) - 0.2 * (nf > 4 * N) + 0.01 * seed


def _verdicts(home: Path, group: str) -> dict[str, str]:
    code, out, err = _cli("claims", group, "--json", "--home", home)
    assert code == 0, err
    return {c["id"]: c["status"] for c in json.loads(out)[0]["claims"]}


def test_an_imported_monotone_risk_curve_holds_no_double_descent(tmp_path):
    src = Home.resolve(tmp_path / "src")
    gid = _record_group(src, _falling)
    code, _, err = _cli("export", gid, "--format", "json", "-o", tmp_path / "g.json", "--home", src.root)
    assert code == 0, err
    dst = tmp_path / "dst"
    code, _, err = _cli("import", tmp_path / "g.json", "--home", dst)
    assert code == 0, err
    v = _verdicts(dst, gid)
    assert v["peak"] == "fails" and v["second-descent"] == "fails", v
    code, _, _ = _cli("claims", gid, "--strict", "--home", dst)
    assert code == 1  # a failing claim fails a strict check


def test_a_real_double_descent_holds_and_strict_reads_every_claim(tmp_path):
    home = Home.resolve(tmp_path / "h")
    gid = _record_group(home, _double_descent)
    v = _verdicts(home.root, gid)
    assert v["peak"] == "holds" and v["second-descent"] == "holds", v
    code, out, _ = _cli("claims", gid, "--json", "--home", home.root)
    peak = next(c for c in json.loads(out)[0]["claims"] if c["id"] == "peak")
    assert peak["evidence"]["n"] == 3 and peak["margin"] and peak["null_fpr"] is not None
    code, _, _ = _cli("claims", gid, "--strict", "--home", home.root)
    assert code == (0 if set(v.values()) == {"holds"} else 1)


def test_the_default_group_is_the_latest_finished_one_that_decides(tmp_path):
    home = Home.resolve(tmp_path / "h")
    done = _record_group(home, _double_descent)
    _record_group(home, _double_descent, status="running")  # newer, still training: passed over
    code, out, err = _cli("claims", "--json", "--home", home.root)
    assert code == 0, err
    groups = {g["study"]: g["group"] for g in json.loads(out)}
    assert groups["double_descent_rff"] == done


def test_a_newer_smoke_group_missing_arms_does_not_stand_for_the_study(tmp_path):
    """randomization-mnist1d decides every claim; a newer smoke-mnist1d (no CNN, no input arms)
    decides fewer: the full group is the study's row."""

    home = Home.resolve(tmp_path / "h")
    store = Store(home)
    ids = []
    for preset in ("randomization-mnist1d", "smoke-mnist1d"):
        group, _ = load_group(preset)
        study = get_study(group.study)
        runs = study.expand(group)
        grec = new_group_record(group, preset, None)
        recs = new_run_records(grec["id"], runs, study.jobs(runs), preset)
        for r in recs:
            p = r["spec"]["params"]
            random_labels = p["condition"] == "labels" and p["p"] == 1.0
            r["status"], r["started"], r["ended"] = "finished", 1.0, 2.0
            r["summary"] = {"final_train_acc": 1.0, "final_test_acc": 0.1 if random_labels else 0.6,
                            "steps_to_fit": 1000 * (1 + p["p"]) if p["condition"] == "labels" else 1000}  # fmt: skip
        store.add_group(grec, recs)
        ids.append(grec["id"])
    code, out, err = _cli("claims", "--json", "--home", home.root)
    assert code == 0, err
    assert {g["study"]: g["group"] for g in json.loads(out)}["randomization"] == ids[0]
