"""Santurkar et al. 2018's claims, checked on a BatchNorm-smoothness group: with BN the loss
changes less along the gradient and the gradient stays more predictive (Fig. 4), BN trains at
learning rates where the standard net does not (Fig. 1), and noisy BN trains about as well as
BN (Fig. 2). Landscape numbers are compared only where the standard net trained (a dead net's
landscape is flat, not smooth), network by network at one learning rate, over seed means."""

from __future__ import annotations

from overfit_tui.studies.base import RunData
from overfit_tui.studies.batchnorm import _lr, _model_name_of, _norm
from overfit_tui.studies.claims import Claim, chance_margin, finished, fmt_pct, pending, stat_of, verdict

NOISY_SLACK = 0.05  # noisy BN "about as well as" BN: test accuracy within 5 points or better


def _cells(runs: list[RunData]) -> dict[tuple[str, float], dict[str, list[RunData]]]:
    """(model, lr) -> norm -> finished runs."""
    out: dict[tuple[str, float], dict[str, list[RunData]]] = {}
    for r in finished(runs):
        out.setdefault((_model_name_of(r), _lr(r)), {}).setdefault(_norm(r), []).append(r)
    return out


def _trained(rs: list[RunData]) -> bool:
    """Above chance on the training set (a net that stopped training has a flat landscape)."""
    s = stat_of(rs, "final_train_acc")
    return s is not None and s.mean > 0.1 + chance_margin(1000)


def _smoother(key: str, what: str):
    def check(runs: list[RunData]):
        parts, ok = [], True
        for (model, lr), by in sorted(_cells(runs).items()):
            std, bn = by.get("none"), by.get("bn")
            if not std or not bn or not _trained(std):
                continue
            a, b = stat_of(std, key), stat_of(bn, key)
            if a is None or b is None:
                continue
            ok &= b.mean < a.mean
            parts.append(f"{model} lr={lr:g}: {a.mean:.3g} -> {b.mean:.3g}")
        if not parts:
            return pending("needs standard and BN runs that trained, at one learning rate, with probes")
        return verdict(ok, "; ".join(parts), f"{what}: BN's mean below the standard net's, every network and rate")

    return check


def _large_lr(runs: list[RunData]):
    cells = _cells(runs)
    if not cells:
        return pending("no finished runs yet")
    parts, ok = [], True
    for model in sorted({m for m, _ in cells}):
        lrs = sorted(lr for m, lr in cells if m == model and {"none", "bn"} <= set(cells[(m, lr)]))
        if not lrs:
            continue
        top = cells[(model, lrs[-1])]
        a, b = stat_of(top["none"], "final_test_acc"), stat_of(top["bn"], "final_test_acc")
        ok &= b.mean > a.mean
        parts.append(f"{model} lr={lrs[-1]:g}: {fmt_pct(a)} -> {fmt_pct(b)}")
    if not parts:
        return pending("needs standard and BN runs at one learning rate")
    return verdict(ok, "; ".join(parts), "at the largest rate, BN's test accuracy above the standard net's")


def _noisy(runs: list[RunData]):
    parts, ok = [], True
    for (model, lr), by in sorted(_cells(runs).items()):
        bn, noisy = by.get("bn"), by.get("noisy_bn")
        if not bn or not noisy:
            continue
        a, b = stat_of(bn, "final_test_acc"), stat_of(noisy, "final_test_acc")
        ok &= b.mean >= a.mean - NOISY_SLACK
        parts.append(f"{model} lr={lr:g}: {fmt_pct(a)} vs {fmt_pct(b)}")
    if not parts:
        return pending("needs BN and noisy-BN runs at one learning rate")
    return verdict(ok, "; ".join(parts), f"noisy BN's test accuracy within {NOISY_SLACK:.0%} of BN's, or above")


CLAIMS = (
    Claim(
        "loss-range",
        "With BatchNorm the loss changes less along the gradient.",
        "Fig. 4a",
        "range much smaller",
        _smoother("loss_range", "loss range along -g"),
    ),
    Claim(
        "grad-predictive",
        "With BatchNorm the gradient stays more predictive along the step.",
        "Fig. 4b",
        "gradient change much smaller",
        _smoother("grad_change", "largest gradient change"),
    ),
    Claim(
        "large-lr",
        "BatchNorm trains at a learning rate where the standard network does not.",
        "Fig. 1",
        "standard VGG far worse at lr 0.5",
        _large_lr,
    ),
    Claim(
        "noisy-bn",
        "BatchNorm with noisy, shifting activation statistics trains about as well as BatchNorm.",
        "Fig. 2",
        "noisy BN ≈ BN",
        _noisy,
    ),
)
