"""The MNIST CPU presets (`*-mnist-4k`): one per study whose paper used MNIST, each on the shared
4,000 / 1,000 subset through data.n_train / n_test, with >= 3 seeds, expanding without training."""

from __future__ import annotations

import pytest
import torch

from overfit_tui.core.presets import list_presets
from overfit_tui.studies import get_study
from overfit_tui.studies.groups import load_group

# Every study whose paper ran on MNIST (issue 30), and its CPU preset(s).
EXPECTED = {
    "double-descent-nn-mnist-4k": "double_descent_nn",
    "double-descent-rff-mnist-4k": "double_descent_rff",
    "intrinsic-dimension-mnist-4k": "intrinsic_dimension",
    "intrinsic-dimension-labels-mnist-4k": "intrinsic_dimension",
    "intrinsic-dimension-weng-mnist-4k": "intrinsic_dimension",
    "layer-robustness-mnist-4k": "layer_robustness",
    "lottery-mnist-4k": "lottery",
    "memorization-mnist-4k": "memorization",
    "mdl-mnist-4k": "mdl",
    "kernel-mnist-4k": "kernel",
}


def _mnist_cpu_presets() -> list[str]:
    return sorted(p.name for p in list_presets() if p.name.endswith("-mnist-4k"))


def test_every_mnist_study_has_a_cpu_preset():
    assert _mnist_cpu_presets() == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_preset_expands_on_the_4k_subset_with_three_seeds(name):
    group, preset = load_group(name)
    assert preset.study == EXPECTED[name] == group.study
    assert group.data.name == "mnist"
    # the shared subset (4,000 / 1,000), or a class-balanced draw of it (RFF: n = 2,000)
    assert group.data.n_train in (2000, 4000) and group.data.n_test == 1000
    assert len(group.seeds) >= 3, f"{name}: the claims decide on >= 3 seeds"
    runs = get_study(group.study).expand(group)
    assert len(runs) >= 3
    assert {r.data for r in runs} == {group.data}  # every run trains on the same subset
    assert len({r.seeds for r in runs}) >= 3
    text = preset.path.read_text()
    header = text[: text.index("study = ")].lower()
    # The header states the paper's setting, what is shrunk, and the expected wall time.
    assert text.startswith("#") and "paper" in header and "shrunk" in header and "wall time" in header, name


def test_the_presets_data_loads_from_the_shared_subset(mnist_dir, tmp_path):
    from overfit_tui.engine.data import prepare

    datas = {load_group(name)[0].data for name in EXPECTED}
    assert {(d.n_train, d.n_test) for d in datas} == {(4000, 1000), (2000, 1000)}  # RFF: 2,000 drawn from the 4,000
    for data in datas:
        ds = prepare(data, mnist_dir, tmp_path)
        assert ds.x_train.shape == (data.n_train, 1, 28, 28) and ds.x_test.shape == (1000, 1, 28, 28)
        counts = torch.bincount(ds.y_train, minlength=10)
        if data.n_train == 2000:
            assert counts.tolist() == [200] * 10  # class-balanced
        else:
            assert counts.min() > 350  # all of the shared subset: every class, about 400 each
        if data.whiten == "standardize":
            assert abs(ds.x_train.mean().item()) < 1e-3
        else:  # double descent NN: pixels in [0, 1]
            assert data.whiten == "none" and ds.x_train.min() == 0 and ds.x_train.max() == 1
