"""The memorization study's figures, tables and claims, from stored runs (studies/memorization.py).

Noise sweep: epochs to fit vs noise level, validation curves per level. Learning order (the
mixed run nearest 50 % noise per noise type): live train accuracy on the clean and noisy
subsets, the cumulative fraction of examples learned and kept, and its histogram. Regularizers:
final clean/noisy train accuracy and test accuracy vs dropout rate and vs weight decay, and the
noisy subset's accuracy over time per strength. Seeds are one mean line with a min-max band.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable

from overfit_tui.core.schema import Field
from overfit_tui.studies.base import Figure, RunData, Series, Table
from overfit_tui.studies.claims import Claim, Verdict, finished, pending, stat_of, verdict
from overfit_tui.studies.replicates import replicate_series, replicates, scalar_series, series_of, stat

HIST_BINS = 12


def _p(r: RunData) -> dict:
    return r.spec.get("params", {})


def point_curve(r: RunData, name: str, key: str) -> tuple[tuple, tuple]:
    pts = [(e["x"], e["values"][key]) for e in r.points(name) if key in e.get("values", {})]
    return tuple(p[0] for p in pts), tuple(p[1] for p in pts)


def point_series(runs: list[RunData], name: str, key: str, suffix: str = "") -> list[Series]:
    """One series per set of replicates from their point events `name` (value `key`)."""
    out = []
    for label, rs in replicates(runs):
        curves = [c for c in (point_curve(r, name, key) for r in rs) if c[0]]
        if (s := replicate_series(label + suffix, curves)) is not None:
            out.append(s)
    return out


def _sweep(runs: list[RunData], kind: str) -> list[RunData]:
    rs = [r for r in runs if _p(r).get("experiment") == "sweep" and (_p(r)["kind"] == kind or _p(r)["level"] == 0)]
    return sorted(rs, key=lambda r: _p(r)["level"])


def _mixed(runs: list[RunData]) -> list[RunData]:
    """Per noise type, the sweep runs at the mixed level nearest 50 % (the learning-order runs)."""
    out = []
    for kind in dict.fromkeys(_p(r)["kind"] for r in runs if _p(r).get("experiment") == "sweep"):
        rs = [r for r in _sweep(runs, kind) if 0 < _p(r)["level"] < 1 and _p(r)["kind"] == kind]
        if rs:
            level = min((_p(r)["level"] for r in rs), key=lambda v: abs(v - 0.5))
            out += [r for r in rs if _p(r)["level"] == level]
    return out


def _histogram(series: Series, hi: float) -> Series:
    """Fractions learned and kept per epoch bin, from a cumulative curve."""
    edges = [hi * i / HIST_BINS for i in range(HIST_BINS + 1)]

    def cum(e):
        below = [y for x, y in zip(series.x, series.y) if x <= e]
        return below[-1] if below else 0.0

    pairs = list(itertools.pairwise(edges))
    mids = tuple((a + b) / 2 for a, b in pairs)
    fracs = tuple(cum(b) - (cum(a) if i else 0.0) for i, (a, b) in enumerate(pairs))  # bin 0 holds epoch 0
    return Series(series.name, mids, fracs, points=True)


def figures(runs: list[RunData]) -> list[Figure]:
    out = []
    sweep_kinds = list(dict.fromkeys(_p(r)["kind"] for r in runs if _p(r).get("experiment") == "sweep"))
    fit = [
        scalar_series(kind, _sweep(runs, kind), lambda r: _p(r)["level"], lambda r: r.summary.get("epochs_to_fit"))
        for kind in sweep_kinds
    ]
    if fit:
        out.append(Figure("fit", "Epochs to 100 % train accuracy vs noise", "noise fraction", "epochs", tuple(fit)))
    for kind in sweep_kinds:
        val = series_of(_sweep(runs, kind), "eval", "test_acc", x="epoch")
        out.append(
            Figure(
                f"val_{kind}", f"Validation accuracy, {kind} levels", "epoch", "val acc", val, hlines=((0.1, "chance"),)
            )
        )
    mixed = _mixed(runs)
    if mixed:
        live = point_series(mixed, "subsets", "clean", " clean") + point_series(mixed, "subsets", "noisy", " noisy")
        out.append(Figure("subsets", "Train accuracy, clean vs noisy examples", "epoch", "train acc", tuple(live)))
        cum = point_series(mixed, "kept", "clean", " clean") + point_series(mixed, "kept", "noisy", " noisy")
        if cum:
            out.append(
                Figure("kept", "Learned and kept by epoch (cumulative)", "epoch", "fraction of examples", tuple(cum))
            )
            hi = max(max(s.x) for s in cum if s.x)
            hist = tuple(_histogram(s, hi) for s in cum if s.x)
            out.append(Figure("kept_hist", "Epoch learned and kept (histogram)", "epoch", "fraction", hist))
    out += _regularizer_figures(runs)
    return out


def _reg(runs: list[RunData], which: str) -> list[RunData]:
    other = "weight_decay" if which == "dropout" else "dropout"
    rs = [r for r in runs if _p(r).get("experiment") == "regularizer" and not _p(r)[other]]
    return sorted(rs, key=lambda r: _p(r)[which])


def _regularizer_figures(runs: list[RunData]) -> list[Figure]:
    out = []
    for which, title in (("dropout", "dropout rate"), ("weight_decay", "weight decay")):
        rs = _reg(runs, which)
        if len({_p(r)[which] for r in rs}) < 2:
            continue
        x = lambda r, w=which: _p(r)[w]
        series = tuple(
            scalar_series(name, rs, x, lambda r, k=key: r.summary.get(k))
            for name, key in (
                ("train acc, noisy subset", "noisy_train_acc"),
                ("train acc, clean subset", "clean_train_acc"),
                ("test acc (clean test set)", "final_test_acc"),
            )
        )
        out.append(Figure(which, f"Memorization vs {title}", title, "accuracy", series, hlines=((0.1, "chance"),)))
        curves = tuple(point_series(rs, "subsets", "noisy"))
        out.append(Figure(f"{which}_noisy", f"Noisy-subset train accuracy per {title}", "epoch", "train acc", curves))
    return out


def tables(runs: list[RunData], field: Callable[[str], Field]) -> list[Table]:
    out = []
    sweep = [(n, rs) for n, rs in replicates(runs) if _p(rs[0]).get("experiment") == "sweep"]
    if sweep:
        keys = ("epochs_to_fit", "steps_to_fit", "best_test_acc", "final_test_acc")
        rows = tuple(_row(n, rs, keys, field) for n, rs in sweep)
        cols = ("noise", *(field(k).header for k in keys))
        out.append(Table("Noise sweep (Arpit et al. 2017)", cols, rows, (None, *map(field, keys))))
        keys = ("kept_clean_median", "kept_noisy_median", "kept_clean_frac", "kept_noisy_frac")
        rows = tuple(_row(n, rs, keys, field) for n, rs in sweep if 0 < _p(rs[0])["level"] < 1)
        if rows:
            cols = ("noise", *(field(k).header for k in keys))
            out.append(Table("Learned and kept: clean vs noisy examples", cols, rows, (None, *map(field, keys))))
    reg = [(n, rs) for n, rs in replicates(runs) if _p(rs[0]).get("experiment") == "regularizer"]
    if reg:
        keys = ("clean_train_acc", "noisy_train_acc", "final_test_acc", "best_test_acc")
        rows = tuple(_row(n, rs, keys, field) for n, rs in reg)
        cols = ("regularizer", *(field(k).header for k in keys))
        out.append(Table("Regularizers vs memorization (Arpit et al. 2017)", cols, rows, (None, *map(field, keys))))
    return out


def _row(name: str, runs: list[RunData], keys: tuple[str, ...], field: Callable[[str], Field]) -> tuple[str, ...]:
    """A table row of mean ± std cells, formatted by each key's field (the app and CLI print cells as text)."""
    return (name, *(field(k).format(stat(runs, k)) for k in keys))


# -- the paper's claims (studies/claims.py), checked on a group's finished runs -------------
SLOWER_TOL = 0.9  # seeds spread epochs to fit by a few percent: more noise may not be 10 % faster


def _fit_epochs(rs: list[RunData]) -> float:
    """Mean epochs to 100 % train accuracy; a finished run that never fitted counts as infinite."""
    vals = [r.summary.get("epochs_to_fit") for r in rs]
    return math.inf if any(v is None for v in vals) else sum(vals) / len(vals)


def _check_noise_slower(kind: str) -> Callable[[list[RunData]], Verdict]:
    def check(runs: list[RunData]) -> Verdict:
        by_level: dict[float, list[RunData]] = {}
        for r in _sweep(finished(runs), kind):
            by_level.setdefault(_p(r)["level"], []).append(r)
        if 0.0 not in by_level or len(by_level) < 2:
            return pending(f"needs finished real-data and {kind} sweep runs")
        eps = [_fit_epochs(rs) for rs in by_level.values()]
        ok = all(e > eps[0] for e in eps[1:]) and all(b >= SLOWER_TOL * a for a, b in itertools.pairwise(eps))
        measured = " -> ".join("not fitted" if math.isinf(e) else f"{e:.0f}" for e in eps)
        rule = f"epochs to fit (mean over seeds): every level slower than real data, none {1 - SLOWER_TOL:.0%} faster than the level below"
        return verdict(ok, f"{kind} {' / '.join(f'{lv:g}' for lv in by_level)}: {measured}", rule)

    return check


def _check_clean_first(kind: str) -> Callable[[list[RunData]], Verdict]:
    def check(runs: list[RunData]) -> Verdict:
        rs = [r for r in finished(_mixed(runs)) if _p(r)["kind"] == kind]
        if not rs:
            return pending(f"needs a finished mixed (0 < noise < 1) {kind} sweep run")
        clean = [r.summary.get("kept_clean_median") for r in rs]
        noisy = [r.summary.get("kept_noisy_median") for r in rs]
        c = math.inf if None in clean else sum(clean) / len(clean)
        n = math.inf if None in noisy else sum(noisy) / len(noisy)
        measured = (
            f"{kind} {_p(rs[0])['level']:g}: clean {c:.0f} vs noisy {'not kept' if math.isinf(n) else f'{n:.0f}'}"
        )
        return verdict(c < n, measured, "median epoch learned and kept (mean over seeds): clean before noisy")

    return check


def _check_dropout(runs: list[RunData]) -> Verdict:
    rs = finished(_reg(runs, "dropout"))
    rates = sorted({_p(r)["dropout"] for r in rs})
    if len(rates) < 2 or rates[0] != 0.0:
        return pending("needs finished regularizer runs at dropout 0 and one more rate")

    def mean(rate, key):
        return stat_of([r for r in rs if _p(r)["dropout"] == rate], key).mean

    lo, hi = rates[0], rates[-1]
    noisy = mean(lo, "noisy_train_acc") - mean(hi, "noisy_train_acc")
    test = mean(lo, "final_test_acc") - mean(hi, "final_test_acc")
    measured = f"dropout {hi:g}: noisy train acc {-100 * noisy:+.1f} pp, test acc {-100 * test:+.1f} pp"
    return verdict(
        noisy > test + 0.05, measured, "the noisy subset's train accuracy falls 5 pp more than test accuracy"
    )


CLAIMS = (
    *(
        Claim(
            f"{kind}-slower",
            f"The more {kind} noise, the longer the network takes to fit the training set.",
            "convergence time vs noise level",
            "",
            _check_noise_slower(kind),
        )
        for kind in ("randY", "randX")
    ),
    *(
        Claim(
            f"{kind}-clean-first",
            f"In a mixed {kind} set, clean examples are learned (and kept) before noisy ones.",
            "Fig. 1, easy examples first",
            "",
            _check_clean_first(kind),
        )
        for kind in ("randY", "randX")
    ),
    Claim(
        "dropout-hampers-noise",
        "Dropout slows the memorization of noise far more than learning from real data.",
        "regularizers: noise train acc vs real val acc",
        "",
        _check_dropout,
    ),
)
