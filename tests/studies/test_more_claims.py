"""Claims of the expressivity and BatchNorm-smoothness studies: each holds on runs that show
it, fails on runs that do not, and is pending without the runs it needs (hand-built records)."""

from __future__ import annotations

from overfit_tui.studies import get_study
from overfit_tui.studies.base import RunData
from overfit_tui.studies.claims import evaluate


def _verdicts(study, runs):
    return {c.id: v.status for c, v in evaluate(get_study(study).claims(), runs)}


def _construction(target, err, params=8040, n=4000, d=40, method="construction", seed=0):
    spec = {
        "study": "expressivity",
        "params": {"method": method, "target": target, "n": n},
        "seeds": {"init": seed, "order": seed, "noise": seed},
    }
    summary = {"max_fit_error": err, "params": params, "n": n, "d": d}
    return RunData(f"{method}{target}{seed}", f"{method}: {target} s{seed}", spec, "finished", summary)


def test_expressivity_claims_hold_fail_and_wait():
    good = [_construction(t, 1e-5, seed=s) for t in ("true", "random", "reals") for s in range(3)]
    assert _verdicts("expressivity", good) == {"fits-any": "holds", "size-2n-d": "holds"}
    bad = [*good[:-1], _construction("reals", 0.3, params=9000, seed=2)]
    assert _verdicts("expressivity", bad) == {"fits-any": "fails", "size-2n-d": "fails"}
    one_seed = [r for r in good if r.spec["seeds"]["init"] == 0]  # fits-any decides on >= 3 seeds
    assert _verdicts("expressivity", one_seed)["fits-any"] == "pending"
    trained_only = [_construction("true", 0.9, method="trained")]  # the trained net is no evidence
    assert set(_verdicts("expressivity", trained_only).values()) == {"pending"}


def _bn(model, norm, lr, train, test, loss_range, grad_change, seed=0, status="finished"):
    m = {"mlp": {"name": "mlp", "width": 128, "depth": 4}, "cnn1d": {"name": "cnn1d", "width": 32}}[model]
    seeds = {"init": seed, "order": seed, "noise": seed}
    spec = {"study": "batchnorm", "model": m, "train": {"lr": lr}, "params": {"norm": norm}, "seeds": seeds}
    jitter = 0.004 * (seed - 1)  # seed spread: 0.4 points of accuracy, 4 % of a landscape number
    summary = {
        "final_train_acc": train + jitter,
        "final_test_acc": test - jitter,
        "loss_range": loss_range * (1 + 10 * jitter),
        "grad_change": grad_change * (1 - 10 * jitter),
    }
    return RunData(f"{model}{norm}{lr}{seed}", f"{model} {norm} lr={lr} s{seed}", spec, status, summary)


def _seeds(*args, n=3, **kw):
    return [_bn(*args, seed=s, **kw) for s in range(n)]


def _santurkar(bn_range=0.1, noisy_test=0.62, bn_top=0.62, n=3):
    """The MNIST-1D picture at lr 0.5 (the largest rate where the standard MLP trains) and 2 (dead)."""
    return [
        *_seeds("mlp", "none", 0.5, 0.67, 0.56, 4.3, 8.3, n=n),
        *_seeds("mlp", "bn", 0.5, 0.89, bn_top, bn_range, 1.4, n=n),
        *_seeds("mlp", "noisy_bn", 0.5, 0.89, noisy_test, 0.36, 2.0, n=n),
        *_seeds("mlp", "none", 2.0, 0.10, 0.09, 0.001, 0.001, n=n),  # dead: its flat landscape is no evidence
        *_seeds("mlp", "bn", 2.0, 0.73, 0.57, 0.5, 1.0, n=n),
        *_seeds("mlp", "noisy_bn", 2.0, 0.73, 0.58, 0.5, 1.0, n=n),
    ]


def test_batchnorm_claims_hold_on_the_papers_picture():
    assert set(_verdicts("batchnorm", _santurkar()).values()) == {"holds"}


def test_batchnorm_claims_fail_where_the_runs_disagree():
    v = _verdicts("batchnorm", _santurkar(bn_range=9.0, noisy_test=0.40, bn_top=0.56))
    assert v == {"loss-range": "fails", "grad-predictive": "holds", "large-lr": "fails", "noisy-bn": "fails"}


def test_large_lr_compares_where_the_standard_net_trains_not_where_it_is_dead():
    """BN equal to the standard net at lr 0.5 but alive at lr 2 where standard is dead: the old rule
    (the largest rate) said holds; the rate where every standard seed trains says fails."""
    v = _verdicts("batchnorm", _santurkar(bn_top=0.56))
    assert v["large-lr"] == "fails"


def test_batchnorm_claims_wait_for_the_runs_they_need():
    only_bn = _seeds("mlp", "bn", 0.5, 0.89, 0.64, 0.1, 1.4)
    assert set(_verdicts("batchnorm", only_bn).values()) == {"pending"}
    assert set(_verdicts("batchnorm", _santurkar(n=2)).values()) == {"pending"}  # 2 seeds decide nothing
    running = [*_santurkar()[:-1], _bn("mlp", "noisy_bn", 2.0, 0, 0, 0, 0, seed=2, status="running")]
    assert _verdicts("batchnorm", running)["noisy-bn"] == "pending"
    dead_standard = [
        *_seeds("mlp", "none", 2.0, 0.10, 0.09, 0.001, 0.001),
        *_seeds("mlp", "bn", 2.0, 0.7, 0.6, 0.5, 1.0),
    ]
    v = _verdicts("batchnorm", dead_standard)
    assert v["loss-range"] == "pending" and v["large-lr"] == "pending"  # no rate where the standard net trains
