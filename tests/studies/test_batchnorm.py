"""BatchNorm smoothness (Santurkar et al. 2018): probes leave the net untouched, match a quadratic's
closed form, work on stacked nets; noisy BN's noise has its stated moments; VGG-11's size; a tiny
real training shows BN's smaller loss range; bad presets are refused."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from overfit_tui.core.errors import SpecError
from overfit_tui.core.specs import ModelSpec, TrainSpec
from overfit_tui.engine.hooks import Hook, Hooks
from overfit_tui.engine.models import NoisyBatchNorm1d, build_model, param_count, with_noisy_batchnorm
from overfit_tui.engine.train import Member, train
from overfit_tui.studies import get_study
from overfit_tui.studies.base import RunData
from overfit_tui.studies.batchnorm.landscape import LandscapeProbe, eta_grid, probe_along_gradient, probe_model
from overfit_tui.studies.groups import group_from_dict

from .collect import Collect


def _net(batchnorm=True, noisy=False, name="mlp", seed=0):
    m = build_model(ModelSpec(name=name, width=16, depth=2, batchnorm=batchnorm), (1, 40), 10, seed)
    return with_noisy_batchnorm(m, 0.5, 0.5) if noisy else m


def _snapshot(model):
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


@pytest.mark.parametrize("name,noisy", [("mlp", False), ("mlp", True), ("cnn1d", False)])
def test_a_probe_leaves_weights_running_stats_and_rng_bit_identical(name, noisy):
    model = _net(name=name, noisy=noisy)
    x, y = torch.randn(32, 1, 40), torch.randint(0, 10, (32,))
    model.train()
    model(x)  # running statistics away from their initial values
    before, rng = _snapshot(model), torch.get_rng_state()
    p = probe_model(
        model, dict(model.named_parameters()), dict(model.named_buffers()), x, y, "ce", eta_grid(0.1, 0.5, 4, 5)
    )
    after = _snapshot(model)
    assert before.keys() == after.keys()
    stats = [k for k in before if k.endswith(("running_mean", "running_var", "num_batches_tracked"))]
    n_bn = sum(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in model.modules())
    assert n_bn >= 2 and len(stats) == 3 * n_bn and before[stats[0]].abs().sum() > 0  # statistics already moved
    assert all(torch.equal(before[k], after[k]) for k in before)  # bit-identical, counters included
    assert torch.equal(rng, torch.get_rng_state())  # noisy BN's probe draw did not move the generator
    assert model.training and all(m.track_running_stats for m in model.modules() if isinstance(m, nn.BatchNorm1d))
    assert all(math.isfinite(v) for v in p.values().values())
    assert p.loss_min <= p.loss_max and p.grad_change_min <= p.grad_change_max and p.beta > 0


def test_training_with_probes_is_bit_identical_to_training_without(mnist1d):
    spec = TrainSpec(lr=0.2, momentum=0.0, lr_decay=1.0, batch_size=50, epochs=2, target_train_acc=0.0)

    def run(probe):
        m = _net(noisy=True, seed=3)
        member = Member(m, mnist1d.x_train[:300], mnist1d.y_train[:300], mnist1d.x_test[:100], mnist1d.y_test[:100], 3)
        hook = LandscapeProbe(every=2, lo=0.5, hi=4.0, n=4) if probe else Hook()
        (r,) = train([member], spec, Hooks(hook), keep_state=True)
        return r, hook

    (with_probes, hook), (without, _) = run(True), run(False)
    assert len(hook.probes[0]) == 6  # 12 steps, every 2nd
    assert all(torch.equal(with_probes.state[k], without.state[k]) for k in without.state)
    assert with_probes.extra["probes"] == 6 and with_probes.extra["loss_range"] > 0


def _quadratic(eigs):
    a = torch.diag(torch.tensor(eigs, dtype=torch.float64))
    return a, (lambda p: 0.5 * p["w"] @ a @ p["w"])


def test_loss_range_of_a_quadratic_matches_the_closed_form():
    eigs = [0.5, 2.0, 10.0]
    a, loss = _quadratic(eigs)
    w = torch.tensor([1.0, -1.0, 0.5], dtype=torch.float64)
    etas = eta_grid(0.1, 0.5, 4.0, 9)
    p = probe_along_gradient(loss, {"w": w}, etas)
    # L(w - eta A w) = 1/2 sum_i l_i (1 - eta l_i)^2 w_i^2
    exact = [0.5 * sum(li * (1 - e * li) ** 2 * wi**2 for li, wi in zip(eigs, w.tolist())) for e in etas.tolist()]
    assert p.loss == pytest.approx(0.5 * sum(li * wi**2 for li, wi in zip(eigs, w.tolist())), rel=1e-12)
    assert p.loss_min == pytest.approx(min(exact), rel=1e-12)
    assert p.loss_max == pytest.approx(max(exact), rel=1e-12)
    assert p.loss_max > p.loss  # the largest step overshoots along the stiff direction (0.4 * 10 > 2)
    g = a @ w  # grad L(w - eta g) - grad L(w) = -eta A g
    assert p.grad_change_max == pytest.approx(etas.max().item() * torch.linalg.norm(a @ g).item(), rel=1e-12)


def test_beta_smoothness_of_a_quadratic_is_its_curvature_along_g():
    eigs = [0.5, 2.0, 10.0]
    a, loss = _quadratic(eigs)
    etas = eta_grid(0.1, 0.5, 4.0, 6)
    for i, lam in enumerate(eigs):  # g along an eigenvector: beta is that eigenvalue
        w = torch.zeros(3, dtype=torch.float64)
        w[i] = 1.5
        assert probe_along_gradient(loss, {"w": w}, etas).beta == pytest.approx(lam, rel=1e-12)
    w = torch.tensor([1.0, 1.0, 1.0], dtype=torch.float64)
    g = a @ w
    beta = probe_along_gradient(loss, {"w": w}, etas).beta
    assert beta == pytest.approx((torch.linalg.norm(a @ g) / torch.linalg.norm(g)).item(), rel=1e-12)
    assert eigs[0] < beta < eigs[-1]


def test_noisy_batchnorm_noise_has_the_stated_moments():
    torch.manual_seed(0)
    bn = NoisyBatchNorm1d(64)
    bn.noise_mean, bn.noise_std = 0.8, 0.6
    x = torch.randn(4000, 64) * 3 + 1
    plain = nn.BatchNorm1d(64).train()
    means, stds = [], []
    for _ in range(30):
        noise = bn(x) - plain(x)  # what noisy BN adds to BN's output
        m, s = noise.mean(0), noise.std(0)
        means.append(m)
        stds.append(s)
    means, stds = torch.stack(means), torch.stack(stds)  # [steps, channels]
    assert means.abs().max() <= 0.8 + 0.05 and stds.max() <= 0.6 + 0.05  # mu in [-0.8, 0.8], sigma in [0, 0.6]
    assert abs(means.mean()) < 0.03 and abs(means.var() - 0.8**2 / 3) < 0.02  # mu ~ U(-0.8, 0.8)
    assert abs(stds.mean() - 0.3) < 0.02 and abs(stds.var() - 0.6**2 / 12) < 0.005  # sigma ~ U(0, 0.6)
    assert (means[1:] - means[:-1]).abs().mean() > 0.3  # redrawn at every step (time-varying)
    assert (means.abs() > 0.05).float().mean() > 0.9  # non-zero means
    assert torch.equal(bn.eval()(x), plain.eval()(x))  # no noise at evaluation


def test_noisy_conversion_keeps_the_state_dict():
    plain = _net(name="cnn1d")
    noisy = with_noisy_batchnorm(_net(name="cnn1d"), 0.5, 0.5)
    assert plain.state_dict().keys() == noisy.state_dict().keys()
    assert sum(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in noisy.modules()) == 3
    x = torch.randn(8, 1, 40)
    assert torch.equal(plain.eval()(x), noisy.eval()(x))


def test_vgg11_parameter_count_and_shapes():
    m = build_model(ModelSpec(name="vgg11"), (3, 32, 32), 10, seed=0)
    convs = [(3, 64), (64, 128), (128, 256), (256, 256), (256, 512), (512, 512), (512, 512), (512, 512)]
    expected = sum(9 * i * o + o for i, o in convs) + (512 * 512 + 512) * 2 + 512 * 10 + 10
    assert param_count(m) == expected == 9_750_922
    bn = build_model(ModelSpec(name="vgg11", batchnorm=True), (3, 32, 32), 10, seed=0)
    # gamma and beta after each convolution (torchvision's vgg11_bn; the classifier has none)
    assert param_count(bn) == expected + 2 * (64 + 128 + 256 * 2 + 512 * 4)
    small = build_model(ModelSpec(name="vgg11", width=8), (3, 28, 28), 10, seed=0)  # 28 px: pools stop at 1x1
    assert small(torch.randn(2, 3, 28, 28)).shape == (2, 10)


def test_probe_of_a_stacked_member_equals_the_member_alone(mnist1d):
    spec = TrainSpec(lr=0.1, momentum=0.0, lr_decay=1.0, batch_size=100, epochs=1, target_train_acc=0.0)
    models = [_net(batchnorm=False, seed=s) for s in (0, 1)]
    copies = [_net(batchnorm=False, seed=s) for s in (0, 1)]

    class Compare(Hook):
        def after_step(self, loop):
            if loop.step != 2:
                return
            xb, yb = loop.batch
            etas = eta_grid(loop.lr(), 0.5, 4, 4)
            for row, run in enumerate(loop.runs):
                copy = copies[run]
                copy.load_state_dict(loop.state(run))
                alone = probe_model(copy, dict(copy.named_parameters()), {}, xb[row], yb[row], "ce", etas)
                stacked = probe.probes[run][-1]
                assert stacked.loss == pytest.approx(alone.loss, rel=1e-5)
                assert stacked.beta == pytest.approx(alone.beta, rel=1e-4)
            self.checked = True

    probe, cmp = LandscapeProbe(every=2, lo=0.5, hi=4, n=4), Compare()
    ds = mnist1d
    members = [
        Member(m, ds.x_train[:400], ds.y_train[:400], ds.x_test[:50], ds.y_test[:50], s) for s, m in enumerate(models)
    ]
    train(members, spec, Hooks(probe, cmp))
    assert cmp.checked


def test_tiny_training_bn_has_the_smaller_loss_range_and_the_pane_gets_its_figures(_data_cache):
    st = get_study("batchnorm")
    g = group_from_dict(
        {
            "study": "batchnorm",
            "data": {"n_train": 1000, "n_test": 200},
            "models": [{"name": "cnn1d", "width": 16}],
            "train": {"epochs": 6, "batch_size": 100},
            "params": {"lrs": [0.5], "probe_every": 10, "n_eta": 4},
        }
    )
    runs = st.expand(g)
    assert [r.params.norm for r in runs] == ["none", "bn", "noisy_bn"]
    assert runs[2].params.noise_mean == 0.5 and runs[0].params.noise_mean == 0.0
    data = []
    for i, run in enumerate(runs):
        ctx = Collect(_data_cache)
        st.execute([run], ctx)
        status, summary = ctx.done[0]
        events = [e.__dict__ for e in ctx.events[0]]
        data.append(RunData(str(i), run.label, run.to_dict(), status, summary, events))
    plain, bn, noisy = (d.summary for d in data)
    assert plain["probes"] == bn["probes"] == 6
    assert bn["loss_range"] < plain["loss_range"] / 2  # BN: a much narrower loss band along -g
    assert bn["grad_change"] < plain["grad_change"] and bn["beta"] < plain["beta"]
    for net in (bn, noisy):  # at this rate the standard net is still near chance; noisy BN trains like BN
        # 15 points over the standard net and 3x chance (0.40-0.5 on the random 1,000 drawn before
        # data.n_train became a class-balanced draw; 0.395 on the balanced one)
        assert net["final_train_acc"] > max(0.3, plain["final_train_acc"] + 0.15)
    figs = {f.key: f for f in st.figures(data)}
    assert {"acc-lr", "range-cnn1dw16-0.5", "grad-cnn1dw16-0.5", "beta-cnn1dw16-0.5"} <= figs.keys()
    assert [s.name for s in figs["range-cnn1dw16-0.5"].series][:2] == ["standard max", "standard min"]
    assert len(figs["beta-cnn1dw16-0.5"].series) == 3 and len(figs["beta-cnn1dw16-0.5"].series[0].x) == 6
    acc, land = st.tables(data)
    assert acc.columns[2:] == ("train lr=0.5", "test lr=0.5") and len(acc.rows) == 3
    assert land.cell(1, 3) == f"{bn['loss_range']:.3g}"


@pytest.mark.parametrize(
    "change,key",
    [
        ({"models": [{"name": "linear"}]}, "models[0]"),
        ({"models": [{"name": "mlp", "batchnorm": True}]}, "models[0].batchnorm"),
        ({"models": [{"name": "mlp", "dropout": 0.1}]}, "models[0].dropout"),
        ({"params": {"eta_lo": 5.0}}, "eta_lo"),
        ({"params": {"norms": []}}, "norms"),
        ({"params": {"norms": ["bn", "layernorm"]}}, "norms"),
        ({"train": {"optimizer": "adam"}}, "train.optimizer"),
    ],
)
def test_bad_presets_are_refused_with_the_key(change, key):
    with pytest.raises(SpecError) as e:
        group_from_dict({"study": "batchnorm", **change})
    assert key in str(e.value)
