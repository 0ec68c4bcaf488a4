"""The intrinsic dimension claims are checked, not asserted: on hand-built sweeps (a
baseline and a grid per model, variant and seed, 3 seeds) each claim holds where the numbers
show it by the paper's margins (D / d_int90 > 100x, shuffled labels > 100x, widths within x2,
CNN below MLP, shuffled pixels x2 for the CNN only), fails where they contradict it, and is
pending without the complete sweeps and seeds it needs (a sweep with a run still queued or
running does not count; a sweep that never crosses is decided at both ends of its censoring
interval, its largest measured d and D, and is pending where they disagree)."""

from __future__ import annotations

import pytest

from overfit_tui.studies import get_study
from overfit_tui.studies.base import RunData
from overfit_tui.studies.claims import evaluate

MLP128 = ({"name": "mlp", "width": 128, "depth": 2}, 23_050)
MLP256 = ({"name": "mlp", "width": 256, "depth": 2}, 78_858)
WIDE = ({"name": "mlp", "width": 512, "depth": 2}, 288_778)
CNN = ({"name": "cnn1d", "width": 64}, 28_298)
DIMS = (10, 30, 100, 300, 1000, 3000, 10000)
IDS = ("far-below-D", "shuffled-labels-larger", "width-constant", "cnn-fewer", "shuffled-pixels-hurt-cnn")


def _sweep(model, variant="true", cross=1000, seed=0, dims=DIMS, base=0.6, status="finished", accs=None):
    """A baseline at `base` and a grid reaching it from d = `cross` on (None: never), or
    the grid's accuracies `accs` (d -> accuracy)."""
    spec_model, D = model
    runs = []
    for role, d in [("baseline", 0), *(("grid", d) for d in dims)]:
        acc = base if role == "baseline" or (cross is not None and d >= cross) else 0.3
        if accs and role == "grid":
            acc = accs[d]
        spec = {
            "study": "intrinsic_dimension",
            "label": f"{spec_model['name']} {variant} {role} {d} {seed}",
            "model": spec_model,
            "seeds": {"init": seed, "order": seed, "noise": seed},
            "params": {"role": role, "d": d, "variant": variant, "absolute": 0.6},
        }
        summary = {"D": D, "final_train_acc": acc, "final_test_acc": acc}
        if role == "grid":
            summary["d"] = d
        runs.append(RunData(spec["label"], spec["label"], spec, status if d == dims[-1] else "finished", summary))
    return runs


def _seeds(*args, seeds=(0, 1, 2), **kw):
    return [r for seed in seeds for r in _sweep(*args, seed=seed, **kw)]


def _verdicts(runs):
    return {c.id: v for c, v in evaluate(get_study("intrinsic_dimension").claims(), runs)}


def test_the_study_declares_the_papers_claims():
    claims = get_study("intrinsic_dimension").claims()
    assert tuple(c.id for c in claims) == IDS
    assert all(c.text and c.source and c.paper for c in claims)
    assert "750" in claims[0].paper and "190,000" in claims[1].paper


def test_claims_hold_on_sweeps_that_show_them():
    runs = [
        *_seeds(MLP128, cross=30),
        *_seeds(MLP256, cross=30),  # the same d_int90 at 3.4x the parameters
        *_seeds(CNN, cross=10),
        *_seeds(MLP256, "shuffled_labels", cross=10000),  # 333x the true labels'
        *_seeds(MLP256, "shuffled_pixels", cross=30),  # the MLP does not care
        *_seeds(CNN, "shuffled_pixels", cross=100),  # the CNN loses its prior: x10
    ]
    v = _verdicts(runs)
    assert {k: x.status for k, x in v.items()} == dict.fromkeys(IDS, "holds")
    assert "x2,629" in v["far-below-D"].measured  # 78,858 / 30 for all three seeds
    assert "x333" in v["shuffled-labels-larger"].measured
    assert "(D x3.4) (x1 [1, 1], n=3)" in v["width-constant"].measured
    assert v["far-below-D"].evidence is not None and v["far-below-D"].evidence.n == 3


def test_claims_fail_on_sweeps_that_contradict_them():
    runs = [
        *_seeds(MLP128, cross=300),  # 77x: not 100x below D
        *_seeds(MLP256, cross=3000),  # d_int90 grows 10x with D
        *_seeds(CNN, cross=10000),  # 2.8x below D, and above the MLPs
        *_seeds(MLP256, "shuffled_labels", cross=300),  # shuffled labels easier than true ones
        *_seeds(MLP256, "shuffled_pixels", cross=3000),
        *_seeds(CNN, "shuffled_pixels", cross=3000),  # shuffled pixels help the CNN
    ]
    v = _verdicts(runs)
    assert {k: x.status for k, x in v.items()} == dict.fromkeys(IDS, "fails")
    assert "cnn1d w64" in v["far-below-D"].measured


def test_the_old_lenient_bars_no_longer_hold():
    # shuffled labels at x2 (the old bar held at x2.006) and D / d_int90 = 26x (the old bar was 10x)
    runs = [*_seeds(MLP256, cross=3000), *_seeds(MLP256, "shuffled_labels", cross=10000)]
    v = _verdicts(runs)
    assert v["shuffled-labels-larger"].status == "fails" and v["far-below-D"].status == "fails"


def test_one_seed_that_breaks_a_claim_is_enough():
    runs = [*_seeds(MLP256, cross=30), *_seeds(MLP256, "shuffled_labels", cross=10000, seeds=(0, 1))]
    runs += _sweep(MLP256, "shuffled_labels", cross=30, seed=2)
    assert _verdicts(runs)["shuffled-labels-larger"].status == "fails"  # seed 2: no larger at all


def test_claims_are_pending_without_the_runs_they_need():
    assert {k: x.status for k, x in _verdicts([]).items()} == dict.fromkeys(IDS, "pending")
    only_mlp = _seeds(MLP256, cross=30)
    v = _verdicts(only_mlp)
    assert v["far-below-D"].status == "holds"
    assert all(v[k].status == "pending" for k in IDS[1:])  # no labels, widths, CNN or pixels sweeps
    assert _verdicts(_seeds(MLP256, cross=30, seeds=(0, 1)))["far-below-D"].status == "pending"  # 2 seeds


@pytest.mark.parametrize("status", ["queued", "running"])
def test_a_sweep_still_running_does_not_count(status):
    # the CNN's grid is still measuring d = 10,000: its crossing could yet move, so it is left out
    runs = [*_seeds(MLP256, cross=30), *_seeds(CNN, cross=None, status=status)]
    v = _verdicts(runs)
    assert v["cnn-fewer"].status == "pending"
    assert v["far-below-D"].status == "holds" and "cnn1d" not in v["far-below-D"].measured


SHORT = (10, 30, 100, 300)


@pytest.mark.parametrize(
    ("claim", "runs", "status"),
    [
        # never crossed up to 300: d_int90 in (300, D]: 263x at best, 1x at worst: undecided
        ("far-below-D", _seeds(MLP256, cross=None, dims=SHORT), "pending"),
        # never crossed up to 3,000: D / d_int90 < 26 whatever the crossing: fails
        ("far-below-D", _seeds(MLP256, cross=None, dims=(*SHORT, 1000, 3000)), "fails"),
        ("far-below-D", _seeds(CNN, cross=None), "fails"),
        # shuffled labels never cross up to 10,000 vs true 30: at least 333x, holds
        ("shuffled-labels-larger", _seeds(MLP256, cross=30) + _seeds(MLP256, "shuffled_labels", cross=None), "holds"),
        # never cross up to 1,000 vs true 30: 33x to 2,600x, undecided
        (
            "shuffled-labels-larger",
            _seeds(MLP256, cross=30) + _seeds(MLP256, "shuffled_labels", cross=None, dims=(*SHORT, 1000)),
            "pending",
        ),
        ("width-constant", _seeds(MLP128, cross=30) + _seeds(MLP256, cross=None, dims=(10, 30)), "pending"),
        ("width-constant", _seeds(MLP128, cross=30) + _seeds(MLP256, cross=None), "fails"),  # > 10,000 vs 30
        # two widths 3x apart in d_int90 fail whatever the third, never-crossing, one would show
        ("width-constant", _seeds(MLP128, cross=1000) + _seeds(MLP256, cross=3000) + _seeds(WIDE, cross=None), "fails"),
        (
            "width-constant",
            _seeds(MLP128, cross=1000) + _seeds(MLP256, cross=1000) + _seeds(WIDE, cross=None, dims=(*SHORT, 1000)),
            "pending",
        ),
        # a CNN that never crosses 10,000 is no better than an MLP at 1,000
        ("cnn-fewer", _seeds(MLP256, cross=1000) + _seeds(CNN, cross=None), "fails"),
    ],
)
def test_a_sweep_that_never_crosses_decides_only_by_its_bound(claim, runs, status):
    assert _verdicts(runs)[claim].status == status


def test_widths_of_different_families_are_not_compared():
    bn = ({"name": "mlp", "width": 512, "depth": 2, "batchnorm": True}, 290_000)
    deep = ({"name": "mlp", "width": 512, "depth": 3}, 300_000)
    runs = [*_seeds(MLP128, cross=1000), *_seeds(bn, cross=30), *_seeds(deep, cross=10000)]
    assert _verdicts(runs)["width-constant"].status == "pending"  # one width per family


CNN_CURVE = {10: 0.1, 30: 0.2, 100: 0.3, 300: 0.5, 1000: 0.7, 3000: 0.9, 10000: 0.94}
MLP_CURVE = {10: 0.1, 30: 0.2, 100: 0.25, 300: 0.3, 1000: 0.4, 3000: 0.55, 10000: 0.63}


def test_shuffled_pixels_compare_each_variant_with_its_own_baseline():
    # MNIST-1D's picture: the shuffled CNN's own baseline falls (94 % -> 64 %) and its curve with it,
    # so against that baseline d_int90 stays at 3,000 (x1): the CNN is not hurt in the paper's sense
    # (the old rule read the absolute 60 % only, 1,000 -> 10,000, and held); both are shown
    cnn_pix = {10: 0.1, 30: 0.2, 100: 0.3, 300: 0.4, 1000: 0.5, 3000: 0.59, 10000: 0.62}
    runs = [
        *_seeds(CNN, base=0.94, accs=CNN_CURVE),
        *_seeds(CNN, "shuffled_pixels", base=0.64, accs=cnn_pix),
        *_seeds(MLP256, base=0.69, accs=MLP_CURVE),
        *_seeds(MLP256, "shuffled_pixels", base=0.69, accs=MLP_CURVE),
    ]
    v = _verdicts(runs)["shuffled-pixels-hurt-cnn"]
    assert v.status == "fails"
    assert "cnn1d w64: 3,000 ± 0 -> 3,000 ± 0 (x1 [1, 1], n=3); at the absolute 60%: 1,000 ± 0 -> 10,000" in v.measured
    # the paper's picture: the shuffled CNN reaches its own (near-equal) baseline only at a larger d
    late = {10: 0.1, 30: 0.2, 100: 0.3, 300: 0.4, 1000: 0.5, 3000: 0.6, 10000: 0.9}
    runs[len(runs) // 4 : len(runs) // 2] = _seeds(CNN, "shuffled_pixels", base=0.92, accs=late)
    assert _verdicts(runs)["shuffled-pixels-hurt-cnn"].status == "holds"
