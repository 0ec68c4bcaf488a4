"""The memorization study's figures, tables and claims, from stored runs (memorization/spec.py).

Fig. 1: per-example misclassification rate after one epoch over many inits, sorted, per data
kind, beside the binomial null with the same mean error. Noise sweep: epochs to fit vs noise level, validation curves per level. Learning order (the
mixed run nearest 50 % noise per noise type): live train accuracy on the clean and noisy
subsets, the cumulative fraction of examples learned and kept, and its histogram. Regularizers:
the noise-data nets' train accuracy on their noisy examples and the real-data nets' validation
accuracy vs dropout rate and vs weight decay, and the noisy examples' accuracy over time per
strength. Seeds are one mean line with a min-max band.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable

from overfit_tui.core.schema import Field
from overfit_tui.studies.base import Figure, RunData, Series, Table
from overfit_tui.studies.claims import (
    Claim,
    Mean,
    Verdict,
    arms,
    by_seed,
    exceeds,
    paired,
    pending,
    seed_of,
    summary,
)
from overfit_tui.studies.replicates import (
    point_curve,
    point_series,
    replicate_series,
    replicates,
    scalar_series,
    series_of,
    stat,
)

HIST_BINS = 12


# -- Fig. 1: per-example misclassification over inits, against the binomial null ----------
def consistency(rates: list[float], inits: int) -> float:
    """rho = (var_i(rate_i) - pq/T) / (pq (1 - 1/T)): the share of the per-example rates'
    variance that is between examples. 0 when every example is misclassified independently with
    the mean error p (binomial over T inits), 1 when each is always right or always wrong."""
    n = len(rates)
    p = sum(rates) / n
    pq = p * (1 - p)
    if pq <= 0 or inits < 2:
        return 0.0
    var = sum((r - p) ** 2 for r in rates) / n
    return (var - pq / inits) / (pq * (1 - 1 / inits))


def null_sd(n: int, inits: int, p: float) -> float:
    """The standard deviation of `consistency` over n examples when each example's count of
    misclassifications is Binomial(T, p): sqrt((1 + (2T - 6) pq) / (pq n T)) / (T - 1)
    (the sample variance's variance from the binomial's fourth moment)."""
    pq = p * (1 - p)
    if pq <= 0 or inits < 2 or n < 2:
        return math.inf
    return math.sqrt(max(0.0, 1 + (2 * inits - 6) * pq) / (pq * n * inits)) / (inits - 1)


def _binom_quantiles(inits: int, p: float, xs: list[float]) -> list[float]:
    cdf, acc = [], 0.0
    for k in range(inits + 1):
        acc += math.comb(inits, k) * p**k * (1 - p) ** (inits - k)
        cdf.append(acc)
    return [next((k for k, c in enumerate(cdf) if c >= x - 1e-12), inits) / inits for x in xs]


def sorted_rates(rates, inits: int, points: int = 101) -> list[tuple[float, float, float]]:
    """(fraction of examples, sorted rate there, the binomial null's quantile there): the
    paper's Fig. 1 curve, at `points` evenly spaced ranks."""
    rs = sorted(float(r) for r in rates)
    n = len(rs)
    xs = [i / (points - 1) for i in range(points)]
    null = _binom_quantiles(inits, sum(rs) / n, xs)
    return [(x, rs[round(x * (n - 1))], q) for x, q in zip(xs, null)]


def first_epoch_summary(rates, inits: int) -> dict:
    rs = [float(r) for r in rates]
    n = len(rs)
    p = sum(rs) / n
    always = sum(r in (0.0, 1.0) for r in rs) / n
    return {
        "fig1_error": p,
        "fig1_rho": consistency(rs, inits),
        "fig1_rho_null_sd": null_sd(n, inits, p),
        "fig1_consistent": always,
        "fig1_consistent_null": (1 - p) ** inits + p**inits,
        "fig1_examples": n,
        "fig1_inits": inits,
    }


def _fig1(runs: list[RunData]) -> list[RunData]:
    return [r for r in runs if r.params.experiment == "first_epoch"]


def _fig1_kind(r: RunData) -> str:
    return "real data" if r.params.level == 0 else r.params.kind


def _sweep(runs: list[RunData], kind: str) -> list[RunData]:
    rs = [r for r in runs if r.params.experiment == "sweep" and (r.params.kind == kind or r.params.level == 0)]
    return sorted(rs, key=lambda r: r.params.level)


def _mixed(runs: list[RunData]) -> list[RunData]:
    """Per noise type, the sweep runs at the mixed level nearest 50 % (the learning-order runs)."""
    out = []
    for kind in dict.fromkeys(r.params.kind for r in runs if r.params.experiment == "sweep"):
        rs = [r for r in _sweep(runs, kind) if 0 < r.params.level < 1 and r.params.kind == kind]
        if rs:
            level = min((r.params.level for r in rs), key=lambda v: abs(v - 0.5))
            out += [r for r in rs if r.params.level == level]
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
    fig1 = _fig1(runs)
    if fig1:
        kinds = list(dict.fromkeys(_fig1_kind(r) for r in fig1))
        series = []
        for kind in kinds:
            rs = [r for r in fig1 if _fig1_kind(r) == kind]
            for key, suffix in (("rate", ""), ("null", " (binomial null)")):
                curves = [c for c in (point_curve(r, "fig1", key) for r in rs) if c[0]]
                if (s := replicate_series(kind + suffix, curves)) is not None:
                    series.append(s)
        if series:
            out.append(
                Figure(
                    "fig1",
                    "Per-example misclassification after one epoch, over inits (sorted)",
                    "fraction of examples",
                    "misclassification rate",
                    tuple(series),
                )
            )
    sweep_kinds = list(dict.fromkeys(r.params.kind for r in runs if r.params.experiment == "sweep"))
    fit = [
        scalar_series(kind, _sweep(runs, kind), lambda r: r.params.level, lambda r: r.summary.get("epochs_to_fit"))
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


def _reg(runs: list[RunData], which: str, noise: bool | None = None) -> list[RunData]:
    """Regularizer runs varying `which` (the other regularizer off); `noise` True: the runs on
    noise data, False: those on real data, None: both."""
    other = "weight_decay" if which == "dropout" else "dropout"
    rs = [r for r in runs if r.params.experiment == "regularizer" and not getattr(r.params, other)]
    if noise is not None:
        rs = [r for r in rs if (r.params.level > 0) == noise]
    return sorted(rs, key=lambda r: getattr(r.params, which))


def _regularizer_figures(runs: list[RunData]) -> list[Figure]:
    out = []
    for which, title in (("dropout", "dropout rate"), ("weight_decay", "weight decay")):
        rs = _reg(runs, which)
        if len({getattr(r.params, which) for r in rs}) < 2:
            continue
        x = lambda r, w=which: getattr(r.params, w)
        noise, real = _reg(runs, which, True), _reg(runs, which, False)
        series = tuple(
            scalar_series(name, arm, x, lambda r, k=key: r.summary.get(k))
            for name, arm, key in (
                ("noise data: train acc on noisy examples", noise, "noisy_train_acc"),
                ("real data: val acc", real, "final_test_acc"),
                ("real data: train acc", real, "clean_train_acc"),
            )
            if arm
        )
        out.append(Figure(which, f"Memorization vs {title}", title, "accuracy", series, hlines=((0.1, "chance"),)))
        curves = tuple(point_series(noise, "subsets", "noisy"))
        out.append(Figure(f"{which}_noisy", f"Noisy-subset train accuracy per {title}", "epoch", "train acc", curves))
    return out


def tables(runs: list[RunData], field: Callable[[str], Field]) -> list[Table]:
    out = []
    fig1 = [(n, rs) for n, rs in replicates(runs) if rs[0].params.experiment == "first_epoch"]
    if fig1:
        keys = ("fig1_error", "fig1_rho", "fig1_rho_null_sd", "fig1_consistent", "fig1_consistent_null")
        rows = tuple(_row(n, rs, keys, field) for n, rs in fig1)
        cols = ("data", *(field(k).header for k in keys))
        out.append(
            Table("Fig. 1: per-example misclassification after one epoch", cols, rows, (None, *map(field, keys)))
        )
    sweep = [(n, rs) for n, rs in replicates(runs) if rs[0].params.experiment == "sweep"]
    if sweep:
        keys = ("epochs_to_fit", "steps_to_fit", "best_test_acc", "final_test_acc")
        rows = tuple(_row(n, rs, keys, field) for n, rs in sweep)
        cols = ("noise", *(field(k).header for k in keys))
        out.append(Table("Noise sweep (Arpit et al. 2017)", cols, rows, (None, *map(field, keys))))
        keys = ("kept_clean_median", "kept_noisy_median", "kept_clean_frac", "kept_noisy_frac")
        rows = tuple(_row(n, rs, keys, field) for n, rs in sweep if 0 < rs[0].params.level < 1)
        if rows:
            cols = ("noise", *(field(k).header for k in keys))
            out.append(Table("Learned and kept: clean vs noisy examples", cols, rows, (None, *map(field, keys))))
    reg = [(n, rs) for n, rs in replicates(runs) if rs[0].params.experiment == "regularizer"]
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
SLOWER_MARGIN = math.log(1.1)  # per unit noise, at every step: each level at least ~10 % slower per unit
FIG1_SIGMAS = 5.0  # a consistency this many binomial-null sd above 0 is not coin flips
KEPT_MARGIN = math.log(1.1)  # noisy examples kept at least 10 % later than clean ones
DROPOUT_MARGIN = 0.05  # noise-fitting must fall 5 pp more than real-data validation accuracy


def _budget(r: RunData) -> float:
    return float(r.train.epochs or math.inf)


def _censored(r: RunData, key: str) -> float:
    """A summary epoch, or the run's epoch budget where it never happened (a lower bound)."""
    v = r.summary.get(key)
    return float(v) if isinstance(v, (int, float)) and math.isfinite(v) else _budget(r)


def _min_step(points: list[tuple[float, float]]) -> float | None:
    """The smallest rise per unit level between adjacent levels (mean over a level's runs): above
    0 only when every level is above the one below it."""
    at: dict[float, list[float]] = {}
    for x, y in points:
        at.setdefault(x, []).append(y)
    xs = sorted(at)
    if len(xs) < 2:
        return None
    ys = [sum(at[x]) / len(at[x]) for x in xs]
    return min((b - a) / (x1 - x0) for (x0, a), (x1, b) in itertools.pairwise(zip(xs, ys)))


def _check_noise_slower(kind: str) -> Callable[[list[RunData]], Verdict]:
    def real(r):
        return r.params.experiment == "sweep" and r.params.level == 0

    def noisy(r):
        return r.params.experiment == "sweep" and r.params.kind == kind and r.params.level > 0

    def check(runs: list[RunData]) -> Verdict:
        a = arms(runs, real_data_sweep=real, **{f"{kind}_sweep": noisy})
        if isinstance(a, Verdict):
            return a
        per_seed: dict[tuple, list[tuple[float, float]]] = {}
        for r in a["real_data_sweep"] + a[f"{kind}_sweep"]:
            per_seed.setdefault(seed_of(r), []).append((r.params.level, math.log(_censored(r, "epochs_to_fit"))))
        steps = [s for s in map(_min_step, per_seed.values()) if s is not None]
        return exceeds(Mean.of(steps), SLOWER_MARGIN, "smallest rise of ln(epochs to fit) per unit noise")

    return check


def _check_clean_first(kind: str) -> Callable[[list[RunData]], Verdict]:
    def check(runs: list[RunData]) -> Verdict:
        mixed = [r for r in _mixed(runs) if r.params.kind == kind]
        if not mixed:
            return pending(f"needs: a mixed (0 < noise < 1) {kind} sweep")
        a = arms(runs, **{f"mixed_{kind}_sweep": lambda r: r in mixed})
        if isinstance(a, Verdict):
            return a
        rs = a[f"mixed_{kind}_sweep"]
        every = float(rs[0].train.eval_every or 1)

        def gap(r: RunData) -> float:  # epoch 0 counts as one evaluation interval (log of a positive epoch)
            noisy, clean = (max(every, _censored(r, f"kept_{k}_median")) for k in ("noisy", "clean"))
            return math.log(noisy / clean)

        return exceeds(Mean.of(by_seed(rs, gap).values()), KEPT_MARGIN, "ln(median epoch kept: noisy / clean)")

    return check


def _fig1_rho(rs: list[RunData]) -> dict[tuple, float]:
    return by_seed(rs, lambda r: r.summary.get("fig1_rho"))


def _null_margin(rs: list[RunData]) -> float:
    sds = [r.summary.get("fig1_rho_null_sd") for r in rs]
    sds = [s for s in sds if isinstance(s, (int, float))]
    return FIG1_SIGMAS * max(sds) if sds else math.inf


def _is_fig1(kind: str) -> Callable[[RunData], bool]:
    def pred(r: RunData) -> bool:
        return r.params.experiment == "first_epoch" and _fig1_kind(r) == kind

    return pred


def _check_fig1_real(runs: list[RunData]) -> Verdict:
    a = arms(runs, fig1_real_data=_is_fig1("real data"))
    if isinstance(a, Verdict):
        return a
    rs = a["fig1_real_data"]
    return exceeds(Mean.of(_fig1_rho(rs).values()), _null_margin(rs), "consistency rho (real data)")


def _check_fig1_noise(kind: str) -> Callable[[list[RunData]], Verdict]:
    def check(runs: list[RunData]) -> Verdict:
        a = arms(runs, fig1_real_data=_is_fig1("real data"), **{f"fig1_{kind}": _is_fig1(kind)})
        if isinstance(a, Verdict):
            return a
        real, noise = a["fig1_real_data"], a[f"fig1_{kind}"]
        margin = math.sqrt(_null_margin(real) ** 2 + _null_margin(noise) ** 2)
        what = f"rho real - rho {kind} (paired per seed)"
        return exceeds(paired(_fig1_rho(real), _fig1_rho(noise)), margin, what)

    return check


def _check_dropout(runs: list[RunData]) -> Verdict:
    rates = sorted({r.params.dropout for r in _reg(runs, "dropout")})
    if len(rates) < 2 or rates[0] != 0.0:
        return pending("needs: regularizer runs at dropout 0 and one more rate")
    lo, hi = rates[0], rates[-1]

    def at(rate: float, noise: bool) -> Callable[[RunData], bool]:
        return lambda r: r in _reg(runs, "dropout", noise) and r.params.dropout == rate

    a = arms(runs, noise_no_dropout=at(lo, True), noise_dropout=at(hi, True))
    b = arms(runs, real_no_dropout=at(lo, False), real_dropout=at(hi, False))
    for v in (a, b):
        if isinstance(v, Verdict):
            return v
    n_lo = by_seed(a["noise_no_dropout"], summary("noisy_train_acc"))
    n_hi = by_seed(a["noise_dropout"], summary("noisy_train_acc"))
    v_lo = by_seed(b["real_no_dropout"], summary("final_test_acc"))
    v_hi = by_seed(b["real_dropout"], summary("final_test_acc"))
    common = [k for k in n_lo if k in n_hi and k in v_lo and k in v_hi]
    diff = Mean.of((n_lo[k] - n_hi[k]) - (v_lo[k] - v_hi[k]) for k in common)
    what = f"dropout {hi:g}: noise train-acc drop - real val-acc drop (paired per seed)"
    return exceeds(diff, DROPOUT_MARGIN, what)


CLAIMS = (
    Claim(
        "fig1-real-consistent",
        "On real data the same examples are easy (or hard) across initializations after one epoch.",
        "Fig. 1 (per-example misclassification over 100 inits)",
        "skewed per-example rates on real data",
        _check_fig1_real,
        margin=f"consistency rho lower 95 % bound > {FIG1_SIGMAS:g} sd of rho under the binomial null (same n, inits, mean error)",
        fpr=0.0,
        power=0.96,
    ),
    *(
        Claim(
            f"fig1-{kind}-less-consistent",
            f"On {kind} noise data no example is consistently easy: far less consistency than real data.",
            "Fig. 1 (real vs noise data)",
            "noise: near-binomial per-example rates",
            _check_fig1_noise(kind),
            margin=f"paired rho(real) - rho({kind}) lower 95 % bound > {FIG1_SIGMAS:g} binomial-null sd of the difference",
            fpr={"randX": 0.02, "randY": 0.04}[kind],
            power=1.0,
        )
        for kind in ("randX", "randY")
    ),
    *(
        Claim(
            f"{kind}-slower",
            f"The more {kind} noise, the longer the network takes to fit the training set.",
            "Sec. 3 / Fig. 2-3 (convergence time vs noise level)",
            "",
            _check_noise_slower(kind),
            margin="per seed, the smallest rise of ln(epochs to fit) per unit noise between adjacent levels "
            "(unfitted: the budget, a lower bound); its lower 95 % bound > ln 1.1",
            fpr=0.0,
            power={"randY": 0.97, "randX": 0.99}[kind],
        )
        for kind in ("randY", "randX")
    ),
    *(
        Claim(
            f"{kind}-clean-first",
            f"In a mixed {kind} set, clean examples are learned (and kept) before noisy ones.",
            "Sec. 3-4 (real examples are learned first)",
            "",
            _check_clean_first(kind),
            margin="paired per seed: ln(median epoch learned-and-kept, noisy / clean) (never kept: the budget), "
            "lower 95 % bound > ln 1.1",
            fpr={"randY": 0.01, "randX": 0.0}[kind],
            power={"randY": 0.94, "randX": 0.91}[kind],
        )
        for kind in ("randY", "randX")
    ),
    Claim(
        "dropout-hampers-noise",
        "Dropout hampers the memorization of noise data while keeping the generalization of real data.",
        "Fig. 8 (noise train acc vs real val acc per regularizer)",
        "",
        _check_dropout,
        margin=f"paired per seed: (noise-data train-acc drop) - (real-data val-acc drop) from dropout 0 to the "
        f"highest rate, lower 95 % bound > {DROPOUT_MARGIN:g}",
        fpr=0.005,
        power=1.0,
    ),
)
