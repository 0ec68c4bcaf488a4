"""engine/sizes.py counts a model's parameters from its spec, without torch: the count must equal
the built model's for every model engine/models.py registers (several widths, depths, input shapes,
BatchNorm on and off), for every model and data set the intrinsic-dimension presets use, and the
paper's D (Li et al. 2018, Table 1: FC 784-200-200-10 199,210, LeNet 44,426 on MNIST)."""

from __future__ import annotations

import itertools

import pytest
import torch

from overfit_tui.core.errors import SpecError
from overfit_tui.core.presets import list_presets
from overfit_tui.core.specs import ModelSpec
from overfit_tui.engine import sizes
from overfit_tui.engine.models import MODELS, build_model, param_count
from overfit_tui.studies.groups import load_group
from overfit_tui.studies.intrinsic_dimension.spec import input_shape, model_size

IMAGES = [(1, 28, 28), (3, 32, 32), (3, 24, 24)]  # MNIST, CIFAR-10, a CIFAR-10 crop
VECTORS = [(1, 40), (1, 20)]  # MNIST-1D, a Gaussian mixture
WIDTHS = {  # a few widths per model (0: its default)
    "mlp": (0, 7, 64, 256),
    "linear": (0,),
    "cnn1d": (0, 8, 64),
    "inception_small": (0, 24, 50),
    "vgg11": (0, 16, 40),
}


def _built(spec: ModelSpec, shape, classes: int) -> int:
    """The built model's count, on meta tensors (the same builder, no memory for the big nets)."""
    with torch.device("meta"):
        return param_count(MODELS.get(spec.name)(spec, shape, classes))


def _cases():
    for name in MODELS.names():
        shapes = (
            VECTORS
            if name == "cnn1d"
            else IMAGES
            if name not in ("mlp", "linear", "lenet_300_100")
            else IMAGES[:1] + VECTORS
        )
        depths = (0, 1, 2, 3) if name == "mlp" else (1,)
        for shape, width, depth, bn in itertools.product(shapes, WIDTHS.get(name, (0, 6, 12)), depths, (False, True)):
            yield ModelSpec(name=name, width=width, depth=depth, batchnorm=bn, dropout=0.1 if bn else 0.0), shape


CASES = list(_cases())


def test_every_model_is_counted():
    assert set(sizes.LAYERS) == set(MODELS.names())  # a model added to models.py needs its count
    assert {s.name for s, _ in CASES} == set(MODELS.names()) and len(CASES) > 150


@pytest.mark.parametrize("name", sorted(MODELS.names()))
def test_the_count_equals_the_built_models(name):
    cases = [(s, shape) for s, shape in CASES if s.name == name]
    for spec, shape in cases:
        for classes in (10, 3):
            assert sizes.param_count(spec, shape, classes) == _built(spec, shape, classes), (spec, shape, classes)


def test_the_layers_are_the_built_models_in_module_order():
    spec = ModelSpec(name="lenet", batchnorm=True)
    with torch.device("meta"):
        model = MODELS.get("lenet")(spec, (1, 28, 28), 10)
    kinds = {torch.nn.Linear: "fc", torch.nn.Conv2d: "conv", torch.nn.BatchNorm2d: "norm", torch.nn.BatchNorm1d: "norm"}
    built = [(kinds[type(m)], sum(p.numel() for p in m.parameters())) for m in model.modules() if type(m) in kinds]
    assert [(la.kind, la.size) for la in sizes.layers(spec, (1, 28, 28), 10)] == built


def test_every_intrinsic_dimension_preset_counts_as_its_built_models():
    presets = [p.name for p in list_presets() if p.study == "intrinsic_dimension"]
    assert len(presets) >= 6
    seen = set()
    for name in presets:
        group, _ = load_group(name)
        for m in group.models:
            built = param_count(build_model(m, input_shape(group.data), 10, 0))  # as the study counted it
            assert model_size(m, group.data) == built, (name, m)
            seen.add((m.name, group.data.name))
    assert {"mlp", "cnn1d", "lenet_valid"} <= {n for n, _ in seen}
    assert {"mnist", "mnist1d", "cifar10"} <= {d for _, d in seen}


def test_the_papers_D():
    mnist, cifar = load_group("intrinsic-dimension-mnist")[0].data, load_group("intrinsic-dimension-cifar10")[0].data
    fc, lenet = ModelSpec(name="mlp", width=200, depth=2), ModelSpec(name="lenet_valid")
    assert (model_size(fc, mnist), model_size(lenet, mnist)) == (199_210, 44_426)
    assert (model_size(fc, cifar), model_size(lenet, cifar)) == (656_810, 62_006)
    with pytest.raises(SpecError, match=r"d = 300,000 exceeds D = 199,210 of mlp 2x200"):
        load_group("intrinsic-dimension-mnist", {"params": {"dims": [300_000]}})  # the form's check reads D


@pytest.mark.parametrize("name", sorted(MODELS.names()))
def test_the_prunable_sizes_are_the_lottery_runners_own(name):
    """Lottery labels each round with the fraction its counts leave (expand: no torch); the runner
    prunes the built model's layers: both must see the same layers, kinds and entries."""
    from overfit_tui.studies.shared.pruning import layer_sizes, prunable_layers

    for spec, shape in [(s, shape) for s, shape in CASES if s.name == name][::3]:
        for biases in (False, True):
            with torch.device("meta"):
                model = MODELS.get(name)(spec, shape, 10)
            built = layer_sizes(model, prunable_layers(model, biases))
            assert sizes.prunable_sizes(spec, shape, 10, biases) == built, (spec, shape, biases)


def test_every_lottery_preset_expands_to_the_runners_remaining_fractions():
    from overfit_tui.studies import get_study
    from overfit_tui.studies.lottery.train import layout
    from overfit_tui.studies.shared.imp_counts import expected_remaining

    presets = [p.name for p in list_presets() if p.study == "lottery"]
    assert len(presets) >= 3
    for name in presets:
        group, _ = load_group(name)
        _, built = layout(group.models[0], group.data, group.params.prune_biases)
        for run in get_study("lottery").expand(group):
            p = run.params
            assert p.remaining == expected_remaining(built, p.rates, p.round, p.strategy), (name, run.label)
