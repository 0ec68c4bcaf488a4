"""Memorization study (Arpit et al. 2017): learned-and-kept epochs, noise injection, expansion,
a real tiny training with per-example tracking, figures, tables and claims from stored runs."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from overfit_tui.core.errors import SpecError
from overfit_tui.engine.data import Dataset
from overfit_tui.studies import get_study
from overfit_tui.studies.base import ExecContext, RunData
from overfit_tui.studies.claims import evaluate
from overfit_tui.studies.groups import group_from_dict, load_group
from overfit_tui.studies.memorization import add_noise, learned_and_kept, pack, unpack


def test_learned_and_kept_on_a_hand_made_sequence():
    # rows: evaluations in time order; columns: examples
    correct = np.array(
        [
            [0, 1, 1, 0, 0, 1],
            [1, 1, 0, 1, 0, 1],
            [1, 1, 1, 0, 0, 1],
            [1, 1, 0, 1, 0, 0],
        ],
        dtype=bool,
    )
    # learned at 1 and kept; right from the start; lost at the end; relearned last; never; forgotten
    assert learned_and_kept(correct).tolist() == [1, 0, -1, 3, -1, -1]
    assert learned_and_kept(correct[:1]).tolist() == [-1, 0, 0, -1, -1, 0]
    assert learned_and_kept(np.zeros((0, 3), bool)).tolist() == [-1, -1, -1]


def test_packed_rows_round_trip_for_any_length():
    g = torch.Generator().manual_seed(0)
    rows = [torch.rand(13, generator=g) > 0.5 for _ in range(3)]
    packed = np.stack([pack(r) for r in rows])
    assert packed.shape == (3, 2) and packed.dtype == np.uint8  # 13 bits in 2 bytes per evaluation
    assert (unpack(packed, 13) == torch.stack(rows).numpy()).all()


def _toy(n=200, k=10) -> Dataset:
    g = torch.Generator().manual_seed(3)
    x, y = torch.randn(n, 1, 8, generator=g), torch.randint(k, (n,), generator=g)
    return Dataset("toy", x, y, x[:20].clone(), y[:20].clone(), k)


def test_noise_hits_exactly_the_asked_fraction_and_never_the_test_set():
    ds = _toy()
    noisy_y, mask = add_noise(ds, "randY", 0.3, seed=1)
    assert torch.equal(mask, noisy_y.y_train != ds.y_train)  # noisy = mislabeled ...
    assert 60 * 0.8 <= int(mask.sum()) < 60  # ... among the 60 redrawn, about 9 in 10
    assert torch.equal(noisy_y.x_train, ds.x_train)
    noisy_x, mask_x = add_noise(ds, "randX", 0.3, seed=1)
    changed = (noisy_x.x_train != ds.x_train).flatten(1).any(1)
    assert int(mask_x.sum()) == 60 and torch.equal(changed, mask_x) and torch.equal(noisy_x.y_train, ds.y_train)
    for d in (noisy_y, noisy_x):
        assert torch.equal(d.x_test, ds.x_test) and torch.equal(d.y_test, ds.y_test)
    again, mask2 = add_noise(ds, "randY", 0.3, seed=1)
    assert torch.equal(again.y_train, noisy_y.y_train) and torch.equal(mask, mask2)
    assert add_noise(ds, "randY", 0.0, seed=1)[1].sum() == 0


def test_expansion_dedupes_baselines_and_regularizer_runs_train_the_whole_budget():
    group, _ = load_group("memorization-mnist1d")
    st = get_study("memorization")
    runs = st.expand(group)
    seeds = len(group.seeds)
    p = group.params
    sweep = [r for r in runs if r.params.experiment == "sweep"]
    reg = [r for r in runs if r.params.experiment == "regularizer"]
    assert len(sweep) == seeds * (1 + len(p.kinds) * len([lv for lv in p.levels if lv > 0]))
    assert len(reg) == seeds * (len(p.dropout) + len(p.weight_decay) - (0.0 in p.dropout and 0.0 in p.weight_decay))
    assert [r.label for r in sweep].count("real data s0") == 1
    for r in reg:
        assert r.train.target_train_acc == 0.0 and r.params.level == p.reg_level
        assert r.model.dropout == r.params.dropout and r.train.weight_decay == r.params.weight_decay
    assert all(r.train.target_train_acc == 1.0 for r in sweep)
    jobs = st.jobs(runs)
    assert sorted(i for j in jobs for i in j) == list(range(len(runs)))
    assert any(len(j) > 1 for j in jobs)  # same-shaped sweep runs train stacked
    assert all(len(j) == 1 for j in jobs if runs[j[0]].model.dropout)  # dropout nets train alone


@pytest.mark.parametrize(
    "params, key",
    [
        ({"reg_level": 1.0}, "params.reg_level"),
        ({"levels": [0.0, 1.5]}, "params.levels[1]"),
        ({"dropout": [1.0]}, "params.dropout[0]"),
        ({"kinds": ["randZ"]}, "params.kinds[0]"),
        ({"levels": [], "dropout": [], "weight_decay": []}, "params.levels"),
    ],
)
def test_bad_params_name_their_key(params, key):
    with pytest.raises(SpecError) as e:
        group_from_dict({"study": "memorization", "params": params})
    assert e.value.key == key


class Collect(ExecContext):
    def __init__(self, **kw):
        super().__init__(**kw)
        self.events: dict[int, list[dict]] = {}
        self.summaries: dict[int, tuple[str, dict]] = {}

    def emit(self, i, event):
        from overfit_tui.core.events import event_to_dict

        self.events.setdefault(i, []).append(event_to_dict(event))

    def finish(self, i, status, summary):
        self.summaries[i] = (status, summary)


def test_tiny_training_tracks_every_example_and_learns_clean_ones_first(_data_cache):
    group = group_from_dict(
        {
            "study": "memorization",
            "data": {"name": "mnist1d", "n_train": 256, "n_test": 200},
            "models": [{"name": "mlp", "width": 256}],
            "train": {"optimizer": "sgd", "lr": 0.1, "batch_size": 64, "epochs": 150, "log_every": 4},
            "params": {"kinds": ["randY"], "levels": [0.0, 0.5], "dropout": [], "weight_decay": []},
        }
    )
    st = get_study("memorization")
    runs = st.expand(group)
    ctx = Collect(cache_dir=_data_cache)
    st.execute(runs, ctx)
    real, mixed = (ctx.summaries[i][1] for i in range(2))
    assert real["fitted"] and mixed["fitted"]
    assert real["epochs_to_fit"] < mixed["epochs_to_fit"]  # noise takes longer to fit
    assert mixed["kept_clean_median"] < mixed["kept_noisy_median"]  # clean examples are learned first
    assert real["kept_clean_frac"] == 1.0 and "kept_noisy_median" not in real
    saved = ctx.load_checkpoint(1, "correct")
    n_evals = len(saved["epochs"])
    assert saved["packed"].shape == (n_evals, 32) and 100 < int(saved["noisy"].sum()) < 128  # 128 redrawn
    assert unpack(saved["packed"].numpy(), 256)[-1].all()  # fitted: every example right at the end
    subsets = [e for e in ctx.events[1] if e.get("name") == "subsets"]
    assert len(subsets) == n_evals  # one compact event per evaluation, never one per example
    data = [
        RunData(str(i), r.label, r.to_dict(), ctx.summaries[i][0], ctx.summaries[i][1], ctx.events[i])
        for i, r in enumerate(runs)
    ]
    keys = {f.key for f in st.figures(data)}
    assert {"fit", "val_randY", "subsets", "kept", "kept_hist"} <= keys
    verdicts = {c.id: v.status for c, v in evaluate(st.claims(), data)}
    assert verdicts == {
        "randY-slower": "holds",
        "randY-clean-first": "holds",
        "randX-slower": "pending",
        "randX-clean-first": "pending",
        "dropout-hampers-noise": "pending",
    }


def _reg_run(i, dropout, noisy_acc, test_acc):
    spec = {
        "params": {"experiment": "regularizer", "kind": "randY", "level": 0.5, "dropout": dropout, "weight_decay": 0.0},
        "model": {"name": "mlp", "width": 64, "depth": 1, "dropout": dropout},
        "seeds": {"init": i, "order": i, "noise": i},
    }
    ev = [
        {"kind": "point", "name": "subsets", "x": e, "values": {"clean": 0.9, "noisy": noisy_acc * e / 10}}
        for e in range(11)
    ]
    summary = {"noisy_train_acc": noisy_acc, "clean_train_acc": 0.95, "final_test_acc": test_acc}
    return RunData(f"r{dropout}{i}", f"dropout {dropout} s{i}", spec, "finished", summary, ev)


def test_regularizer_figure_table_and_claim_from_stored_runs():
    st = get_study("memorization")
    runs = [_reg_run(s, d, acc, test) for s in (0, 1) for d, acc, test in ((0.0, 0.9, 0.55), (0.5, 0.3, 0.56))]
    figs = {f.key: f for f in st.figures(runs)}
    series = {s.name: s for s in figs["dropout"].series}
    assert series["train acc, noisy subset"].x == (0.0, 0.5) and series["train acc, noisy subset"].y == (0.9, 0.3)
    assert series["test acc (clean test set)"].n == 2  # two seeds: mean with a band
    assert len(figs["dropout_noisy"].series) == 2
    (table,) = st.tables(runs)
    assert table.rows[1][2] == "30.0 ± 0.0%"  # the noisy subset's train accuracy at dropout 0.5, two seeds
    verdicts = {c.id: v for c, v in evaluate(st.claims(), runs)}
    assert verdicts["dropout-hampers-noise"].status == "holds"
    flat = [_reg_run(s, d, 0.9, test) for s in (0, 1) for d, test in ((0.0, 0.55), (0.5, 0.5))]
    assert {c.id: v for c, v in evaluate(st.claims(), flat)}["dropout-hampers-noise"].status == "fails"
