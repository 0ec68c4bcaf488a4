"""Randomization study: expansion, job planning, figures from stored runs."""

from __future__ import annotations

from overfit_tui.studies import get_study
from overfit_tui.studies.base import RunData
from overfit_tui.studies.groups import group_from_dict, load_group


def test_expansion_covers_every_condition_per_model():
    group, _ = load_group("randomization-mnist1d")
    st = get_study("randomization")
    runs = st.expand(group)
    assert len(runs) == 2 * 3 * (4 + 3)  # 2 models x 3 seeds x (4 corruption levels + 3 input conditions)
    labels = [r.label for r in runs]
    assert "mlp 1x512: random labels s0" in labels and "cnn1d w64: gaussian s2" in labels
    jobs = st.jobs(runs)
    # the 21 small-MLP runs train stacked (in chunks); the CNN runs one job each
    assert sorted(len(j) for j in jobs) == [1] * 21 + [5, 16]


def test_big_mlps_are_not_stacked():
    g = group_from_dict(
        {"study": "randomization", "data": {"name": "mnist"}, "models": [{"name": "mlp", "width": 512}]}
    )
    st = get_study("randomization")
    assert all(len(j) == 1 for j in st.jobs(st.expand(g)))


def test_figures_from_runs():
    st = get_study("randomization")
    runs = []
    for i, p in enumerate((0.0, 0.5, 1.0)):
        spec = {
            "study": "randomization",
            "params": {"condition": "labels", "p": p},
            "model": {"name": "mlp", "depth": 1, "width": 64},
        }
        ev = [{"kind": "step", "step": s, "train_loss": 2.0 - s / 100} for s in range(0, 100, 10)]
        runs.append(
            RunData(
                f"r{i}",
                f"p={p}",
                spec,
                "finished",
                {"steps_to_fit": 1000 * (i + 1), "final_test_acc": 0.6 - 0.25 * i},
                ev,
            )
        )
    figs = {f.key: f for f in st.figures(runs)}
    assert figs["fit"].series[0].x == (0.0, 0.5, 1.0) and figs["fit"].series[0].y == (1.0, 2.0, 3.0)
    assert figs["error"].series[0].y == (0.4, 0.65, 0.9)
    assert len(figs["loss"].series) == 3
