"""Every run trained through the shared loop keeps its initial and final weights (a plain run
and each run of a stack its own), and the complexity measures taken afterwards from those
files are the complexity study's own numbers."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from overfit_tui.core.status import Status
from overfit_tui.engine.checkpoints import (
    CAP_ENV,
    WEIGHTS_DATA,
    WEIGHTS_FINAL,
    WEIGHTS_INIT,
    list_checkpoints,
    load_checkpoint,
)
from overfit_tui.engine.models import build_model
from overfit_tui.studies import get_study
from overfit_tui.studies.complexity.fields import MEASURE_KEYS
from overfit_tui.studies.complexity.figures import tau_of
from overfit_tui.studies.complexity.on_runs import measure_runs
from overfit_tui.studies.complexity.table import RunInput
from overfit_tui.studies.groups import group_from_dict
from overfit_tui.studies.shared.context import ExecContext


class FolderContext(ExecContext):
    """Checkpoints under root/<run index>/checkpoints (as the worker's run folders), summaries kept."""

    def __init__(self, root, indices, **kw):
        super().__init__(**kw)
        self.root, self.indices = root, indices
        self.summaries: dict[int, tuple[str, dict]] = {}

    def folder(self, i):
        return self.root / str(self.indices[i])

    def save_checkpoint(self, i, name, state):
        from overfit_tui.engine.checkpoints import save_checkpoint

        save_checkpoint(self.folder(i), name, state)

    def finish(self, i, status, summary):
        self.summaries[self.indices[i]] = (status, summary)


def _train(study, runs, jobs, root, data):
    summaries = {}
    for job in jobs:
        ctx = FolderContext(root, job, data_dir=data, cache_dir=data)
        study.execute([runs[i] for i in job], ctx)
        summaries.update(ctx.summaries)
    return summaries


def _inputs(runs, summaries, root):
    return [
        RunInput(
            str(i),
            r.label,
            r.study,
            Status(summaries[i][0]),
            r.data,
            r.model,
            r.seeds.init,
            summaries[i][1],
            root / str(i),
            dataclasses.asdict(r.params),
        )
        for i, r in enumerate(runs)
    ]


RANDOMIZATION = {
    "study": "randomization",
    "data": {"name": "mnist1d", "n_train": 200, "n_test": 100},
    "models": [{"name": "mlp", "width": 16}],
    "train": {"lr": 0.05, "batch_size": 50, "epochs": 3, "log_every": 2},
    "seeds": [0, 1, 2],
    "params": {"corruption": [0.0, 1.0], "inputs": []},
}


def test_each_run_of_a_stack_and_a_plain_run_keep_their_own_weights(tmp_path, _data_cache):
    st = get_study("randomization")
    runs = st.expand(group_from_dict(RANDOMIZATION))
    assert len(runs) == 6
    stacked = _train(st, runs, [list(range(6))], tmp_path / "stack", _data_cache)
    alone = _train(st, runs, [[1]], tmp_path / "alone", _data_cache)  # run 1 trained by itself
    for i, run in enumerate(runs):
        ck = tmp_path / "stack" / str(i) / "checkpoints"
        assert stacked[i][1]["weights"] == "saved"
        init, final = load_checkpoint(ck / f"{WEIGHTS_INIT}.pt"), load_checkpoint(ck / f"{WEIGHTS_FINAL}.pt")
        fresh = build_model(run.model, (40,), 10, run.seeds.init).state_dict()
        assert set(init) == set(fresh) == set(final)
        assert all(torch.equal(init[k], fresh[k]) for k in fresh)  # its own init seed, not a neighbour's
        assert all(t.device.type == "cpu" for t in final.values())
        assert sum(float((final[k] - init[k]).abs().sum()) for k in init) > 0  # it trained
        labels = load_checkpoint(ck / f"{WEIGHTS_DATA}.pt")["y_train"]
        assert list_checkpoints(ck.parent) == []  # apart from the checkpoints a study asks for
        assert len(labels) == 200
    # a plain (unstacked) run saves the same final weights as its row of the stack
    assert alone[1][1]["weights"] == "saved"
    a = load_checkpoint(tmp_path / "alone" / "1" / "checkpoints" / f"{WEIGHTS_FINAL}.pt")
    b = load_checkpoint(tmp_path / "stack" / "1" / "checkpoints" / f"{WEIGHTS_FINAL}.pt")
    assert all(torch.allclose(a[k], b[k], atol=1e-5) for k in a)
    # random labels (p = 1) were saved as trained on, true labels (p = 0) as the data's
    y0 = load_checkpoint(tmp_path / "stack" / "0" / "checkpoints" / f"{WEIGHTS_DATA}.pt")["y_train"]
    y1 = load_checkpoint(tmp_path / "stack" / "1" / "checkpoints" / f"{WEIGHTS_DATA}.pt")["y_train"]
    assert runs[0].params.p == 0.0 and runs[1].params.p == 1.0
    assert 0.5 < float((y0 != y1).float().mean()) < 0.99


def test_a_state_over_the_cap_is_not_saved_and_the_summary_says_so(tmp_path, _data_cache, monkeypatch):
    monkeypatch.setenv(CAP_ENV, "0.001")  # 1 kB: a 16-unit MLP is 3 kB
    st = get_study("randomization")
    runs = st.expand(group_from_dict({**RANDOMIZATION, "seeds": [0]}))
    summaries = _train(st, runs, [[0]], tmp_path, _data_cache)
    assert summaries[0][1]["weights"].startswith("not saved: 0.0 MB over the 0.001 MB cap")
    assert not (tmp_path / "0" / "checkpoints").exists()
    table = measure_runs(_inputs(runs[:1], summaries, tmp_path), _data_cache)
    assert table.rows[0].note.startswith("no weights (not saved") and table.measured == 0


def test_the_table_from_saved_weights_is_the_complexity_studys_own_measures(tmp_path, _data_cache):
    group = group_from_dict(
        {
            "study": "complexity",
            "data": {"name": "mnist1d", "n_train": 100, "n_test": 200},
            "models": [{"name": "mlp", "depth": 1, "width": 32}],
            "train": {"optimizer": "adam", "lr": 0.01, "batch_size": 50, "epochs": 300, "target_train_acc": 0.99},
            "seeds": [0],
            "params": {"corruption": [0.0, 0.5, 1.0], "widths": [32], "sharp_draws": 3},  # not the default 8
        }
    )
    st = get_study("complexity")
    runs = st.expand(group)
    summaries = _train(st, runs, st.jobs(runs), tmp_path, _data_cache)
    inputs = _inputs(runs, summaries, tmp_path)
    inputs.append(
        RunInput(
            "old",
            "before weights",
            "complexity",
            Status.FINISHED,
            runs[0].data,
            runs[0].model,
            0,
            {},
            tmp_path / "none",
        )
    )
    seen = []
    table = measure_runs(inputs, _data_cache, progress=lambda i, r: seen.append(i))
    assert seen == [0, 1, 2, 3] and table.measured == 3
    for i, row in enumerate(table.rows[:3]):
        s = summaries[i][1]
        assert summaries[i][0] == "finished" and row.note == "", row
        assert row.gap == pytest.approx(s["gap"])
        for k in MEASURE_KEYS:
            assert row.values[k] == pytest.approx(s[k], rel=1e-6, abs=1e-9), k
    assert table.rows[3].note == "no weights" and table.rows[3].values == {}
    by_key = {t.key: t for t in table.taus}
    for k in ("l2_norm", "log_sharpness"):
        want = tau_of([({}, summaries[i][1][k], summaries[i][1]["gap"]) for i in range(3)])
        assert by_key[k].n == 3 and by_key[k].tau == pytest.approx(want)
        assert by_key[k].band is not None and -1.0 <= by_key[k].band <= 1.0
    assert by_key["n_params"].tau is None and by_key["n_params"].note.startswith("constant")  # one width
    two = measure_runs(inputs[:2], _data_cache)
    assert all(t.tau is None and t.note.startswith("too few runs (2 < 3)") for t in two.taus)


def test_a_net_trained_in_a_subspace_of_a_frozen_one_keeps_no_weights(tmp_path, mnist1d):
    from torch import nn

    from overfit_tui.core.specs import TrainSpec
    from overfit_tui.engine.train import Member, train

    class Subspace(nn.Module):  # as engine/subspace.py: few trained parameters, the net frozen in buffers
        def __init__(self):
            super().__init__()
            self.theta = nn.Parameter(torch.zeros(10))
            self.register_buffer("base", torch.randn(40, 10))

        def forward(self, x):
            return x.flatten(1) @ self.base + self.theta

    ds = mnist1d
    ctx = FolderContext(tmp_path, [0])
    member = Member(Subspace(), ds.x_train[:100], ds.y_train[:100], ds.x_test[:50], ds.y_test[:50], 0)
    train([member], TrainSpec(epochs=1, batch_size=50), ctx)
    assert ctx.summaries[0][1]["weights"] == "not saved: 10 trained parameters in a larger frozen net (a subspace)"
    assert not (tmp_path / "0").exists()
