"""Santurkar et al. 2018's claims, checked on a BatchNorm-smoothness group as decisions with a
null, paired per seed (a replicate's standard, BN and noisy-BN nets share its seeds):

- `loss-range`, `grad-predictive` (Fig. 4a/b): at every (model, lr) where the standard net
  trains, the per-seed log ratio standard / BN of the loss range (of the largest gradient
  change) along the gradient has its one-sided 95 % lower bound above 0: BN smaller beyond
  seed noise. A net that stopped training (dead ReLUs at lr 2) has a flat landscape, not a
  smooth one, so those rates are never compared.
- `large-lr` (Fig. 1): at the largest rate of the grid where every standard seed still trains,
  BN's paired gain in final train and in final test accuracy is above 0 (one-sided 95 %).
- `noisy-bn` (Fig. 2): at every (model, lr) where every BN seed trains, noisy BN is equivalent
  to BN or better: the paired difference noisy - BN in train and in test accuracy has its
  one-sided 95 % lower bound above -3 points (non-inferiority; see NOISY_MARGIN).

"Trains" is fixed before measuring: final train accuracy >= TRAINS (50 %, five times chance)
for every seed; a diverged run (NaN loss) did not train and its accuracy counts as chance.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from overfit_tui.core.status import Status
from overfit_tui.studies.base import RunData
from overfit_tui.studies.batchnorm.figures import lr_of, model_of, norm_of
from overfit_tui.studies.claims import (
    ENDED,
    Claim,
    Mean,
    Verdict,
    all_hold,
    by_seed,
    exceeds,
    pending,
    within,
)

TRAINS = 0.5  # a network trains at a rate when every seed ends with >= 50 % train accuracy (5x chance)
CHANCE = 0.1  # what a diverged run's accuracy counts as (10 classes)
# Noisy BN "performs as well as" BN: Fig. 2 shows noisy BN's train and test curves within a few
# points of BN's, far closer than the standard net's; 3 points of accuracy is that margin.
NOISY_MARGIN = 0.03
METRICS = (("final_train_acc", "train"), ("final_test_acc", "test"))

Cell = dict[str, list[RunData]]  # norm -> every ended run (finished or diverged) of one (model, lr)


def _acc(key: str) -> Callable[[RunData], float | None]:
    """A run's final accuracy; a diverged run did not train and counts as chance."""
    return lambda r: CHANCE if r.status == Status.DIVERGED else r.summary.get(key)


def _cells(runs: list[RunData]) -> dict[tuple[str, float], Cell]:
    """(model, lr) -> norm -> runs that ended finished or diverged (failed / lost ones say nothing)."""
    out: dict[tuple[str, float], Cell] = {}
    for r in runs:
        if r.status in (Status.FINISHED, Status.DIVERGED):
            out.setdefault((model_of(r), lr_of(r)), {}).setdefault(norm_of(r), []).append(r)
    return out


def _trains(rs: list[RunData] | None) -> bool:
    """Every seed of this network ends with at least TRAINS train accuracy (none diverged)."""
    if not rs:
        return False
    accs = [_acc("final_train_acc")(r) for r in rs]
    return all(isinstance(a, (int, float)) and a >= TRAINS for a in accs)


def _ready(runs: list[RunData], **needed: Callable[[RunData], bool]) -> Verdict | None:
    """Pending while a network the claim compares is missing or has runs that have not ended
    (as `arms`, but a network whose runs diverged has ended: that is its result)."""
    missing = []
    for name, pred in needed.items():
        mine = [r for r in runs if pred(r)]
        if not mine or any(r.status not in ENDED for r in mine):
            missing.append(name.replace("_", " "))
    return pending("needs: " + ", ".join(missing) + " (present and ended)") if missing else None


def _is(norm: str) -> Callable[[RunData], bool]:
    return lambda r: norm_of(r) == norm


def _log_ratio(a: dict[tuple, float], b: dict[tuple, float]) -> Mean | None:
    """The mean over shared seeds of log(a / b) (positive: b smaller)."""
    common = [k for k in a if k in b and a[k] > 0 and b[k] > 0]
    return Mean.of(math.log(a[k] / b[k]) for k in common)


def _smoother(key: str, what: str):
    def check(runs: list[RunData]) -> Verdict:
        if (wait := _ready(runs, standard=_is("none"), BN=_is("bn"))) is not None:
            return wait
        parts = []
        for (model, lr), by in sorted(_cells(runs).items()):
            std, bn = by.get("none"), by.get("bn")
            if not bn or not _trains(std):
                continue  # a dead standard net's flat landscape is no evidence
            std_ok = [r for r in std if r.status == Status.FINISHED]
            bn_ok = [r for r in bn if r.status == Status.FINISHED]
            m = _log_ratio(by_seed(std_ok, lambda r: r.summary.get(key)), by_seed(bn_ok, lambda r: r.summary.get(key)))
            v = exceeds(m, 0.0, f"log({what} standard / BN)")
            if v.status != "pending" and m is not None:
                v = Verdict(
                    v.status, f"{math.exp(m.mean):.3g}x smaller with BN (log ratio {v.measured})", v.detail, v.evidence
                )
            parts.append((f"{model} lr={lr:g}", v))
        return all_hold(
            parts,
            f"per-seed log({what} standard / BN) > 0 (one-sided 95 %), at every rate where the standard net trains",
            f"needs a rate where every standard seed trains (train accuracy >= {TRAINS:.0%}), with BN beside it",
        )

    return check


def _large_lr(runs: list[RunData]) -> Verdict:
    if (wait := _ready(runs, standard=_is("none"), BN=_is("bn"))) is not None:
        return wait
    cells = _cells(runs)
    parts = []
    for model in sorted({m for m, _ in cells}):
        lrs = [lr for m, lr in sorted(cells) if m == model and "bn" in cells[(m, lr)]]
        trained = [lr for lr in lrs if _trains(cells[(model, lr)].get("none"))]
        if not trained:
            continue
        lr = trained[-1]  # the largest rate at which every standard seed still trains
        std, bn = cells[(model, lr)]["none"], cells[(model, lr)]["bn"]
        for key, name in METRICS:
            m = _paired_acc(bn, std, key)
            parts.append((f"{model} lr={lr:g} {name}", exceeds(m, 0.0, "BN - standard")))
    return all_hold(
        parts,
        f"at the largest rate where every standard seed trains (train accuracy >= {TRAINS:.0%}): "
        "paired BN - standard train and test accuracy > 0 (one-sided 95 %)",
        f"needs a rate where every standard seed trains (train accuracy >= {TRAINS:.0%}), with BN beside it",
    )


def _paired_acc(a: list[RunData], b: list[RunData], key: str) -> Mean | None:
    pa, pb = by_seed(a, _acc(key)), by_seed(b, _acc(key))
    return Mean.of(pa[k] - pb[k] for k in pa if k in pb)


def _noisy(runs: list[RunData]) -> Verdict:
    if (wait := _ready(runs, BN=_is("bn"), noisy_BN=_is("noisy_bn"))) is not None:
        return wait
    parts = []
    for (model, lr), by in sorted(_cells(runs).items()):
        bn, noisy = by.get("bn"), by.get("noisy_bn")
        if not noisy or not _trains(bn):
            continue
        for key, name in METRICS:
            m = _paired_acc(noisy, bn, key)
            parts.append((f"{model} lr={lr:g} {name}", within(m, -NOISY_MARGIN, math.inf, "noisy BN - BN")))
    return all_hold(
        parts,
        f"at every rate where every BN seed trains: paired noisy BN - BN train and test accuracy "
        f"> -{NOISY_MARGIN:g} (one-sided 95 %: as good as BN, or better)",
        f"needs a rate where every BN seed trains (train accuracy >= {TRAINS:.0%}), with noisy BN beside it",
    )


CLAIMS = (
    Claim(
        "loss-range",
        "With BatchNorm the loss changes less along the gradient.",
        "Fig. 4a",
        "range much smaller",
        _smoother("loss_range", "loss range"),
        margin="per seed log(range standard / range BN) > 0 (one-sided 95 %), every (model, lr) where standard trains",
        fpr=0.045,
        power=0.98,
    ),
    Claim(
        "grad-predictive",
        "With BatchNorm the gradient stays more predictive along the step.",
        "Fig. 4b",
        "gradient change much smaller",
        _smoother("grad_change", "gradient change"),
        margin="per seed log(change standard / change BN) > 0 (one-sided 95 %), every (model, lr) where standard trains",
        fpr=0.045,
        power=0.98,
    ),
    Claim(
        "large-lr",
        "At the largest learning rate where the standard network still trains, BatchNorm trains better.",
        "Fig. 1",
        "standard VGG far worse at lr 0.5",
        _large_lr,
        margin=f"largest lr where every standard seed has train acc >= {TRAINS:.0%}: "
        "paired BN - standard train and test accuracy > 0 (one-sided 95 %)",
        fpr=0.005,
        power=1.0,
    ),
    Claim(
        "noisy-bn",
        "BatchNorm with noisy, shifting activation statistics trains as well as BatchNorm.",
        "Fig. 2",
        "noisy BN ≈ BN",
        _noisy,
        margin=f"every lr where BN trains: paired noisy BN - BN train and test accuracy > -{NOISY_MARGIN:g} "
        "(one-sided 95 %, non-inferiority)",
        fpr=0.0,
        power=0.93,
    ),
)
