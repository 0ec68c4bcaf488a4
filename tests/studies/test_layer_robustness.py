"""Layer robustness (Zhang, Bengio, Singer 2019): checkpoints through the hooks, re-initialization
restores exactly one layer, re-randomization draws from the layer's own initializer, batched
evaluation equals a plain eval-mode forward (dropout off, BatchNorm travelling or staying), a
tiny real training shows the claim, the heatmap fills in live and survives export, bad specs fail."""

from __future__ import annotations

import copy
import math

import pytest
import torch

from overfit_tui.core.errors import SpecError
from overfit_tui.core.specs import ModelSpec
from overfit_tui.engine.models import build_model
from overfit_tui.studies import get_study
from overfit_tui.studies.base import RunData
from overfit_tui.studies.claims import evaluate
from overfit_tui.studies.groups import group_from_dict, load_group
from overfit_tui.studies.layer_robustness.spec import checkpoint_name
from overfit_tui.studies.layer_robustness.surgery import VariantEvaluator, find_layers, replace_layer
from overfit_tui.studies.layer_robustness.train import redraws
from overfit_tui.studies.shared.data import load_data
from tests.studies.collect import Collect

STUDY = get_study("layer_robustness")
TINY = {
    "study": "layer_robustness",
    "data": {"name": "mnist1d", "n_train": 1000, "n_test": 500},
    "models": [{"name": "mlp", "width": 64, "depth": 2}, {"name": "cnn1d", "width": 16, "batchnorm": True}],
    "train": {"optimizer": "sgd", "lr": 0.05, "momentum": 0.9, "batch_size": 100, "epochs": 12},
    "params": {"checkpoints": [0, 1, 4], "draws": 2, "eval_chunk": 3000},
}


@pytest.fixture(scope="module")
def trained(_data_cache):
    """The MLP and the BatchNorm CNN, each trained in its own job, as the worker would."""
    group = group_from_dict(TINY)
    runs = STUDY.expand(group)
    out = []
    for job in STUDY.jobs(runs):
        ctx = Collect(_data_cache)
        STUDY.execute([runs[i] for i in job], ctx)
        out.append((runs[job[0]], ctx))
    return out


def _data(ds, n=1000, m=500):
    return ds.x_train[:n], ds.y_train[:n], ds.x_test[:m], ds.y_test[:m]


def _run_set(run, ctx):
    """The data the study evaluated the run on (its seeded subset)."""
    return _data(load_data(run.data, ctx))


def _plain_errors(spec, state, data) -> tuple[float, float]:
    """The error of a model loaded with `state`, by a plain eval-mode forward: the reference."""
    model = build_model(spec, tuple(data[0].shape[1:]), 10, 0)
    model.load_state_dict(state)
    model.eval()
    with torch.no_grad():
        return tuple(float((model(x).argmax(-1) != y).float().mean()) for x, y in (data[:2], data[2:]))


def test_reinit_to_epoch_0_restores_exactly_that_layer_and_evaluates_it_plainly(trained):
    run, ctx = trained[0]
    data = _run_set(run, ctx)
    assert run.model.name == "mlp"
    init, final = ctx.load_checkpoint(0, checkpoint_name(0)), ctx.load_checkpoint(0, "final")
    model = build_model(run.model, (1, 40), 10, run.seeds.init)
    assert all(torch.equal(model.state_dict()[k], init[k]) for k in init)  # epoch 0 = the initialization
    ev = VariantEvaluator(model, final, data, eval_chunk=700)  # several chunks
    cells = {(e["values"]["layer"], e["x"]): e["values"] for e in ctx.dicts(0) if e.get("name") == "reinit"}
    for layer in find_layers(model):
        variant = {**final, **replace_layer(layer, init, bn_travels=True)}
        for k in final:
            assert torch.equal(variant[k], init[k] if k in layer.keys else final[k]), k
        assert any(not torch.equal(init[k], final[k]) for k in layer.keys)  # training moved the layer
        ((tr, te),) = ev.errors([replace_layer(layer, init, True)])
        assert (tr, te) == pytest.approx(_plain_errors(run.model, variant, data), abs=1e-6)
        assert cells[(layer.index, 0)]["test_err"] == pytest.approx(te, abs=1e-6)  # what the study stored


def test_checkpoints_saved_at_the_chosen_epochs_through_the_hooks(trained):
    run, ctx = trained[0]
    saved = sorted(name for (i, name) in ctx._checkpoints if i == 0 and not name.startswith("weights/"))
    assert saved == ["epoch-0000", "epoch-0001", "epoch-0004", "final"]
    e1, e4 = ctx.load_checkpoint(0, "epoch-0001"), ctx.load_checkpoint(0, "epoch-0004")
    assert not torch.equal(e1["1.weight"], e4["1.weight"])


def test_stacked_runs_keep_their_own_checkpoints(_data_cache):
    """Two seeds of a small MLP train stacked in one job; each run's epoch-0 checkpoint is its own init."""
    spec = {**TINY, "models": [{"name": "mlp", "width": 16}], "seeds": [0, 1], "train": {**TINY["train"], "epochs": 2}}
    spec["params"] = {**TINY["params"], "checkpoints": [0, 1]}
    runs = STUDY.expand(group_from_dict(spec))
    assert STUDY.jobs(runs) == [[0, 1]]
    ctx = Collect(_data_cache)
    STUDY.execute(runs, ctx)
    for i, run in enumerate(runs):
        init = build_model(run.model, (1, 40), 10, run.seeds.init).state_dict()
        saved = ctx.load_checkpoint(i, checkpoint_name(0))
        assert all(torch.equal(saved[k], init[k]) for k in init)
        assert ctx.done[i][0] == "finished" and ctx.done[i][1]["variants"] == 2 * (2 + 2)
    assert not torch.equal(ctx.load_checkpoint(0, "final")["1.weight"], ctx.load_checkpoint(1, "final")["1.weight"])


def test_rerandomization_draws_from_the_layers_own_initializer():
    group = group_from_dict({"study": "layer_robustness", "params": {"draws": 3}})
    (run,) = STUDY.expand(group)  # MLP 3x256
    states = redraws(run, (1, 40), 10)
    init = build_model(run.model, (1, 40), 10, run.seeds.init).state_dict()
    fc2 = find_layers(build_model(run.model, (1, 40), 10, 0))[1]
    w = fc2.keys[0]
    bound = 1 / math.sqrt(256)  # torch's Linear: U(-1/sqrt(fan_in), 1/sqrt(fan_in)), std bound/sqrt(3)
    for s in states:
        assert s[w].shape == (256, 256)
        assert abs(float(s[w].mean())) < 0.02 * bound  # centred: not uniform [0, 1) noise
        assert float(s[w].std()) == pytest.approx(bound / math.sqrt(3), rel=0.02)
        assert float(s[w].abs().max()) <= bound
        assert not torch.equal(s[w], init[w])  # a new seed, not the epoch-0 weights
    assert not torch.equal(states[0][w], states[1][w]) and not torch.equal(states[1][w], states[2][w])
    assert all(torch.equal(a[w], b[w]) for a, b in zip(states, redraws(run, (1, 40), 10)))  # seeded


def test_evaluation_is_in_eval_mode_dropout_off(mnist1d):
    spec = ModelSpec(name="mlp", width=64, depth=2, dropout=0.5)
    model = build_model(spec, (1, 40), 10, 0)
    model.train()  # left in train mode by its caller
    state = copy.deepcopy(model.state_dict())
    layer, other = find_layers(model)[1], build_model(spec, (1, 40), 10, 1).state_dict()
    ev = VariantEvaluator(model, state, _data(mnist1d))
    first = ev.errors([replace_layer(layer, other, True)] * 2)
    again = ev.errors([replace_layer(layer, other, True)])
    assert first[0] == first[1] == again[0]
    assert first[0] == pytest.approx(
        _plain_errors(spec, {**state, **replace_layer(layer, other, True)}, _data(mnist1d))
    )


def test_batchnorm_travels_with_its_layer_or_stays(trained, mnist1d):
    run, ctx = trained[1]
    assert run.model.name == "cnn1d" and run.model.batchnorm
    final = ctx.load_checkpoint(0, "final")
    model = build_model(run.model, (1, 40), 10, 0)
    layers = find_layers(model)
    assert [x.name for x in layers] == ["conv1", "conv2", "conv3", "fc1"]
    assert layers[1].bn_keys == tuple(f"4.{k}" for k in ("weight", "bias", "running_mean", "running_var"))[:4] + (
        "4.num_batches_tracked",
    )
    assert layers[3].bn_keys == ()  # the head has no BatchNorm after it
    fresh = redraws(run, (1, 40), 10)[0]
    conv2 = layers[1]
    travel, stay = replace_layer(conv2, fresh, True), replace_layer(conv2, fresh, False)
    assert set(travel) == {*conv2.keys, *conv2.bn_keys} and set(stay) == set(conv2.keys)
    assert float(fresh["4.running_var"].mean()) == 1.0 and float(final["4.running_var"].mean()) != 1.0
    ev = VariantEvaluator(model, final, _data(mnist1d))
    for variant in (travel, stay):  # both choices, batched, equal the plain forward
        (got,) = ev.errors([variant])
        assert got == pytest.approx(_plain_errors(run.model, {**final, **variant}, _data(mnist1d)), abs=1e-6)


def test_tiny_training_shows_the_claim(trained):
    """Re-randomizing any layer sends both models near chance (0.9); re-initializing the first
    layer to epoch 0 is critical, and less so to a later checkpoint (a tiny version of the paper)."""
    for (run, ctx), bound in zip(trained, (0.65, 0.4)):
        status, s = ctx.done[0]
        assert status == "finished" and s["final_test_err"] < bound
        assert s["rerand_min_err"] > 0.8
        assert s["reinit0_first_err"] > s["final_test_err"] + 0.1
        (heat,) = [f for f in STUDY.figures([_run_data(run, ctx)]) if f.is_heatmap]
        assert heat.columns == ("rnd", "0", "1", "4")
        assert heat.matrix[0][3] < heat.matrix[0][1]  # fc1/conv1 at epoch 4 beats epoch 0
        layers = len(heat.rows)
        assert s["variants"] == layers * (2 + 3)  # every layer x (2 draws + 3 checkpoints)
    mlp = next(f for f in STUDY.figures([_run_data(*trained[0])]) if f.is_heatmap)
    assert mlp.rows == ("fc1 (2.62k)", "fc2 (4.16k)", "fc3 (650)")


def _run_data(run, ctx, i=0, rid="r0"):
    return RunData(rid, run.label, run.to_dict(), ctx.done[i][0], ctx.done[i][1], ctx.dicts(i))


def _points(layers=2, epochs=(0, 5), done=None, final=0.1, seed=0, err=None, rnd=0.88):
    """Synthetic points of one run: layer i reset to epoch t has test error err(i, t) (default
    0.6 - 0.1 t - 0.2 i, at least the final error); re-randomized: rnd, rnd + 0.02."""
    err = err or (lambda i, t: max(final, 0.6 - 0.1 * t - 0.2 * i))
    ev = [
        {"kind": "point", "name": "layer", "x": i, "values": {"label": f"fc{i + 1}", "params": 1000 * (i + 1)}}
        for i in range(layers)
    ]
    ev.append({"kind": "point", "name": "final", "x": 10, "values": {"train_err": 0.0, "test_err": final}})
    for i in range(layers if done is None else done):
        for d in range(2):
            v = {"layer": i, "train_err": 0.9, "test_err": rnd + 0.02 * d + 0.01 * seed}
            ev.append({"kind": "point", "name": "rerandomize", "x": d, "values": v})
        for t in epochs:
            v = {"layer": i, "train_err": err(i, t) / 2, "test_err": err(i, t) + 0.01 * seed}
            ev.append({"kind": "point", "name": "reinit", "x": t, "values": v})
    return ev


def _synthetic(n_seeds=1, status="running", threshold=0.02, **kw):
    spec = {
        "study": "layer_robustness",
        "model": {"name": "mlp", "depth": 1, "width": 8},
        "params": {"checkpoints": [0, 5], "threshold": threshold},
    }
    out = []
    for s in range(n_seeds):
        label = "mlp 1x8" + (f" s{s}" if n_seeds > 1 else "")
        seeds = {"init": s, "order": s, "noise": s}
        out.append(RunData(f"r{s}", label, {**spec, "seeds": seeds}, status, {}, _points(seed=s, **kw)))
    return out


def test_heatmap_fills_in_live_and_tables_say_which_layers_are_critical():
    (heat, lines) = STUDY.figures(_synthetic(done=1))  # only the first row evaluated so far
    assert heat.is_heatmap and heat.columns == ("rnd", "0", "5") and heat.rows == ("fc1 (1k)", "fc2 (2k)")
    assert heat.matrix[0] == pytest.approx((0.89, 0.6, 0.1)) and heat.matrix[1] == (None, None, None)
    assert heat.vrange == (0.0, 1.0) and not lines.is_heatmap
    assert [s.name for s in lines.series] == ["fc1", "fc1 re-randomized"]  # in fc1's colour, apart at the left
    assert lines.series[1].like == "fc1" and lines.series[1].x[0] < 0 and lines.xticks[0][1] == "re-rand."
    assert (0.9, "chance") in lines.hlines and (0.1, "final model") in lines.hlines
    test, robust, train = STUDY.tables(_synthetic(n_seeds=2))
    assert test.columns == ("layer", "params", "re-randomize", "epoch 0", "epoch 5")
    assert test.cell(0, 2) == "89.5 ± 1.3%"  # 2 seeds x 2 draws
    assert robust.rows[0][-2:] == ("critical", "critical up to epoch 0")
    assert robust.rows[1][-2:] == ("critical", "critical up to epoch 0")
    assert robust.cell(0, 2) == "50.5 ± 0.7%" and robust.cell(1, 3) == "0.5 ± 0.7%"  # fc2 at 5: its final error
    assert train.cell(0, 3) == "30.0 ± 0.0%"


def test_claims_hold_fail_or_wait_on_what_the_runs_show():
    """Decisions over >= 3 seeds against the 5-point threshold (was: one seed's mean against it)."""

    def verdicts(runs):
        return {c.id: v.status for c, v in evaluate(STUDY.claims(), runs)}

    def done(**kw):
        return _synthetic(n_seeds=3, status="finished", threshold=0.05, layers=4, **kw)

    assert set(verdicts(_synthetic(n_seeds=3))) == {
        "rerandomize-destroys",
        "first-layer-critical",
        "upper-layers-robust",
    }
    assert set(verdicts(_synthetic(n_seeds=3)).values()) == {"pending"}  # nothing finished yet
    two = _synthetic(n_seeds=2, status="finished", threshold=0.05, layers=4)
    assert set(verdicts(two).values()) == {"pending"}  # 2 seeds decide nothing
    paper = done(err=lambda i, t: 0.1 + (0.4 if i == 0 and t == 0 else 0))
    assert verdicts(paper) == dict.fromkeys(verdicts(paper), "holds")
    lazy = done(err=lambda i, t: 0.1 + (0.01 if t == 0 else 0), rnd=0.5)
    assert verdicts(lazy) == {
        "rerandomize-destroys": "fails",  # 50 % error is far from chance
        "first-layer-critical": "fails",  # +1 to +3 points only
        "upper-layers-robust": "holds",
    }
    hard = done()  # at epoch 0: +50, +30, +10, +0 points
    assert verdicts(hard)["upper-layers-robust"] == "fails"
    (_, v) = next(cv for cv in evaluate(STUDY.claims(), hard) if cv[0].id == "upper-layers-robust")
    assert v.measured.startswith("mlp 1x8 fc3: cost 0.11") and v.evidence.margin.startswith("in [-inf, 0.05]")
    assert v.evidence.n == 3


def test_presets_expand_and_stack_the_small_mlps():
    group, _ = load_group("layer-robustness-mnist1d")
    runs = STUDY.expand(group)
    labels = [r.label for r in runs]
    assert labels == ["mlp 3x256 s0", "mlp 3x256 s1", "mlp 3x256 s2", "cnn1d s0", "cnn1d s1", "cnn1d s2"]
    assert sorted(len(j) for j in STUDY.jobs(runs)) == [1, 1, 1, 3]
    for name in ("layer-robustness-mnist", "layer-robustness-cifar10-vgg"):
        group, _ = load_group(name)
        assert group.train.epochs == 100 and group.train.target_train_acc == 0.0
        assert all(t < group.train.epochs for t in group.params.checkpoints)


@pytest.mark.parametrize(
    ("params", "train", "key"),
    [
        ({"checkpoints": [1, 2]}, {}, "params.checkpoints"),
        ({"checkpoints": [0, 200]}, {"epochs": 100}, "params.checkpoints"),
        ({"checkpoints": [0, 0]}, {}, "params.checkpoints"),
        ({"draws": 0}, {}, "params.draws"),
        ({"threshold": -0.1}, {}, "params.threshold"),
    ],
)
def test_bad_specs_name_the_key(params, train, key):
    with pytest.raises(SpecError) as e:
        group_from_dict({"study": "layer_robustness", "params": params, "train": train})
    assert key in str(e.value)


def test_a_stored_run_keeps_its_checkpoints_and_its_heatmap_survives_export(store, tmp_path):
    """Through the worker: checkpoints written under the run's folder (read back weights-only),
    points in its metric log; export to JSON, import elsewhere, the same heatmap and tables."""
    from overfit_tui.core.paths import Home
    from overfit_tui.engine.checkpoints import list_checkpoints, load_checkpoint
    from overfit_tui.export.formats import write
    from overfit_tui.export.transfer import import_json, load_comparison
    from overfit_tui.runs.launcher import launch, wait
    from overfit_tui.store import Store
    from overfit_tui.studies.figures import run_data

    spec = {**TINY, "models": TINY["models"][:1], "train": {**TINY["train"], "epochs": 5}}
    gid, _ = launch(store, group_from_dict(spec), devices=["cpu"])
    (rec,) = wait(store, gid, 120)
    assert rec.status == "finished", rec.error
    run_dir = store.home.run_dir(rec.id)
    assert list_checkpoints(run_dir) == ["epoch-0000", "epoch-0001", "epoch-0004", "final"]
    init = load_checkpoint(run_dir / "checkpoints" / "epoch-0000.pt")  # torch.load(weights_only=True)
    assert set(init) == {"1.weight", "1.bias", "3.weight", "3.bias", "5.weight", "5.bias"}
    path = tmp_path / "layers.json"
    write(load_comparison(store, [gid]), "json", path)
    other = Store(Home.resolve(tmp_path / "other"))
    assert import_json(other, path) == (1, 0)
    before, after = (STUDY.figures(run_data(s, s.runs())) for s in (store, other))
    (heat,) = [f for f in before if f.is_heatmap]
    assert all(v is not None for row in heat.matrix for v in row) and len(heat.rows) == 3
    assert before == after
    assert STUDY.tables(run_data(store, store.runs())) == STUDY.tables(run_data(other, other.runs()))


def test_vgg11_variants_evaluate_batched_as_a_plain_forward():
    """The GPU preset's model (BatchNorm2d, pools) through the vmapped evaluation, on random images."""
    spec = ModelSpec(name="vgg11", width=8, batchnorm=True)
    model = build_model(spec, (3, 32, 32), 10, 0)
    with torch.no_grad():  # running statistics away from their init, so travelling matters
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
    final = copy.deepcopy(model.state_dict())
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(48, 3, 32, 32, generator=g), torch.randint(0, 10, (48,), generator=g)
    data = (x, y, x[:16], y[:16])
    layers = find_layers(model)
    assert len(layers) == 11 and sum(bool(x.bn_keys) for x in layers) == 8
    fresh = build_model(spec, (3, 32, 32), 10, 1).state_dict()
    ev = VariantEvaluator(model, final, data, eval_chunk=64)
    for layer in (layers[0], layers[5], layers[-1]):
        for v in (replace_layer(layer, fresh, True), replace_layer(layer, fresh, False)):
            (got,) = ev.errors([v, v])[:1]
            m = build_model(spec, (3, 32, 32), 10, 0)
            m.load_state_dict({**final, **v})
            m.eval()
            with torch.no_grad():
                want = [float((m(a).argmax(-1) != b).float().mean()) for a, b in ((x, y), (x[:16], y[:16]))]
            assert got == pytest.approx(tuple(want), abs=1e-6)
