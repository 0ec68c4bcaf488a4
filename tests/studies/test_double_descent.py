"""Double descent (neural nets): weight reuse really continues from the previous width."""

from __future__ import annotations

import torch

from overfit_tui.core.specs import ModelSpec
from overfit_tui.engine.models import build_model
from overfit_tui.studies import get_study
from overfit_tui.studies.double_descent_nn.spec import n_params
from overfit_tui.studies.double_descent_nn.train import grow
from overfit_tui.studies.groups import group_from_dict

from .collect import Collect


def test_grow_copies_the_smaller_net_into_the_first_units():
    small = build_model(ModelSpec(name="mlp", width=3, depth=1), (1, 8), 4, seed=0)
    big = build_model(ModelSpec(name="mlp", width=5, depth=1), (1, 8), 4, seed=1)
    grow(small.state_dict(), big, std=0.0, gen=torch.Generator().manual_seed(0))
    x = torch.randn(7, 1, 8)
    assert torch.allclose(small(x), big(x), atol=1e-6)  # new units are zero: same function


def test_width_sweep_reuses_weights_below_threshold(_data_cache):
    st = get_study("double_descent_nn")
    g = group_from_dict(
        {
            "study": "double_descent_nn",
            "data": {"n_train": 200},
            "train": {"epochs": 5, "log_every": 2, "lr_decay": 0.5, "lr_decay_every": 2},
            "params": {"widths": [2, 4, 400], "label_noise": 0.0, "new_weight_std": 0.0},
        }
    )
    runs = st.expand(g)
    assert st.jobs(runs) == [[0, 1, 2]]
    ctx = Collect(_data_cache)
    st.execute(runs, ctx)
    s = [ctx.done[i][1] for i in range(3)]
    assert s[0]["reused"] is False and s[1]["reused"] is True
    assert s[2]["params"] == n_params(40, 400, 10) > s[2]["threshold"] == 2000 and s[2]["reused"] is False
    first_eval_w4 = next(e for e in ctx.events[1] if e.kind == "eval")
    assert first_eval_w4.step == 0
    assert abs(first_eval_w4.train_loss - s[0]["final_train_loss"]) < 1e-5  # starts where width 2 ended

    # Belkin et al.'s schedule: below n*K the step size decays (x0.5 after epochs 2 and 4 here) and
    # training stops at zero training error; above it, a fixed step size for the whole budget
    assert runs[0].model.init == "glorot_uniform"
    last_lr = {i: [e for e in ctx.events[i] if e.kind == "eval"][-1].lr for i in range(3)}
    assert s[0]["stop_at_fit"] and s[1]["stop_at_fit"] and not s[2]["stop_at_fit"]
    assert last_lr[0] == last_lr[1] == runs[0].train.lr * 0.25
    assert last_lr[2] == runs[2].train.lr and s[2]["lr_decay"] == 1.0 and s[2]["epochs"] == 5


def test_each_seed_starts_its_own_chain(_data_cache):
    st = get_study("double_descent_nn")
    g = group_from_dict(
        {
            "study": "double_descent_nn",
            "data": {"n_train": 100},
            "seeds": [0, 1],
            "train": {"epochs": 2, "log_every": 1},
            "params": {"widths": [2, 4], "label_noise": 0.5},
        }
    )
    runs = st.expand(g)
    assert [r.label for r in runs] == ["H=2 s0", "H=4 s0", "H=2 s1", "H=4 s1"]
    assert st.jobs(runs) == [[0, 1], [2, 3]]
    ctx = Collect(_data_cache)
    st.execute(runs, ctx)  # both chains in one call: the second must not reuse the first's weights
    assert [ctx.done[i][1]["reused"] for i in range(4)] == [False, True, False, True]
    assert ctx.done[0][1]["final_train_loss"] != ctx.done[2][1]["final_train_loss"]
