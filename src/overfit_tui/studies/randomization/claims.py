"""The randomization tests' claims (Zhang et al. 2017, Fig. 1), checked on a group's finished runs
(studies/claims.py); docs/claims/randomization.md says why each margin."""

from __future__ import annotations

import math

from overfit_tui.core.status import Status
from overfit_tui.studies.base import RunData
from overfit_tui.studies.claims import (
    MIN_SEEDS,
    Claim,
    Evidence,
    Mean,
    Verdict,
    all_hold,
    arms,
    by_seed,
    chance_margin,
    exceeds,
    paired,
    pending,
    seed_of,
    summary,
    too_few_seeds,
    verdict,
    within,
)
from overfit_tui.studies.randomization.figures import _error, _model_label

# -- the paper's claims (studies/claims.py), checked on a group's finished runs -------------
# Margins, fixed from the paper before measuring (docs/claims/randomization.md says why):
FIT_ACC = 0.999  # "100 %" training accuracy (Fig. 1a): at most 1 in 1,000 training samples wrong
SLOWDOWN_MAX = 5.0  # Fig. 1b: random labels take ~1.5-3.5x the steps of true labels; 5x bounds "small"
SHUFFLE_MARGIN = 0.075  # 7.5 pp: a fifth of the reference CNN's loss (94 % -> 57 %, 37 pp)
RISE_RHO = 0.5  # "steady deterioration" (Fig. 1c): rank correlation of error with p above 0.5 (one local swap
# of 4 levels gives 0.8; a curve that falls between two of 3 levels gives 0.5)
CONV = ("cnn1d", "lenet", "lenet_valid", "alexnet_small", "inception_small", "conv2", "conv4", "conv6")


def _cond(r: RunData) -> tuple[str, float]:
    return r.params.condition, r.params.p


def _index(runs) -> dict[str, tuple[str, str, float]]:
    """(model, condition, p) of each run, by run id: the predicates below read it, not the spec."""
    return {r.id: (_model_label(r), *_cond(r)) for r in runs}


def _where(ix, model: str | None = None, cond: str | None = None, p: float | None = None):
    want = (model, cond, p)
    return lambda r: all(w is None or w == v for w, v in zip(want, ix[r.id], strict=True))


def _models(ix, cond: str | None = None, p: float | None = None) -> list[str]:
    return sorted({m for m, c, q in ix.values() if (cond is None or c == cond) and (p is None or q == p)})


def _seeds(rs) -> int:
    return len({seed_of(r) for r in rs})


def every_run_fits(runs, floor: float, what: str, **preds) -> Verdict:
    """Holds when every run of the named arms (each present and finished, >= 3 seeds) reached
    `floor` training accuracy. A run that diverged did not fit: it fails the claim, never dropped."""
    diverged = [r for r in runs if r.status == Status.DIVERGED and any(p(r) for p in preds.values())]
    if diverged:
        return verdict(False, f"{len(diverged)} run(s) diverged", f"every run >= {100 * floor:g} % train accuracy")
    arm = arms(runs, **preds)
    if isinstance(arm, Verdict):
        return arm
    rs = [r for v in arm.values() for r in v]
    if (few := too_few_seeds(_seeds(rs))) is not None:
        return few
    accs = [r.summary.get("final_train_acc") or 0.0 for r in rs]
    worst, m = min(accs), sum(accs) / len(accs)
    margin = f"every run >= {100 * floor:g} %"
    ev = Evidence(_seeds(rs), m, worst, max(accs), margin, f"{what} train accuracy (mean [min, max] over runs)")
    measured = f"{100 * m:.2f} % mean, {100 * worst:.2f} % worst of {len(accs)} runs ({_seeds(rs)} seeds)"
    return verdict(worst >= floor, measured, f"{margin} ({', '.join(a.replace('_', ' ') for a in preds)})", ev)


def _check_random_fit(runs):
    ix = _index(runs)
    models = _models(ix, "labels", 1.0)
    if not models:
        return pending("needs: random labels (present and finished)")
    fits = lambda m: every_run_fits(runs, FIT_ACC, "random-label", random_labels=_where(ix, m, "labels", 1.0))
    return all_hold([(m, fits(m)) for m in models])


def _check_inputs_fit(runs):
    if not runs:
        return pending("needs: shuffled pixels, random pixels, gaussian (present and finished)")
    ix = _index(runs)
    return all_hold(
        [
            (
                m,
                every_run_fits(
                    runs,
                    FIT_ACC,
                    "randomized-input",
                    shuffled_pixels=_where(ix, m, "shuffled_pixels"),
                    random_pixels=_where(ix, m, "random_pixels"),
                    gaussian=_where(ix, m, "gaussian"),
                ),
            )
            for m in _models(ix)
        ]
    )


def _check_random_chance(runs):
    ix = _index(runs)
    models = _models(ix, "labels", 1.0)
    if not models:
        return pending("needs: random labels (present and finished)")
    a = arms(runs, **{f"{m} random labels": _where(ix, m, "labels", 1.0) for m in models})
    if isinstance(a, Verdict):
        return a
    a = {m: a[f"{m} random labels"] for m in models}
    rs = [r for v in a.values() for r in v]
    h = chance_margin(rs[0].data.n_test or 1000)
    lo, hi = 0.1 - h, 0.1 + h
    # the decision: the per-seed test accuracy (mean over the models) is equivalent to 10 %;
    # and no model's own mean over seeds lies outside the margin
    v = within(Mean.of(by_seed(rs, summary("final_test_acc")).values()), lo, hi, "test accuracy")
    means = {m: Mean.of(by_seed(a[m], summary("final_test_acc")).values()) for m in models}
    off = [m for m, x in means.items() if not lo <= x.mean <= hi]
    if v.status == "pending" or not off:
        return v
    return verdict(False, f"{v.measured}; outside alone: {', '.join(off)}", v.detail, v.evidence)


def _fit_steps(r: RunData) -> tuple[float, bool]:
    """Steps to 100 % training accuracy, or the steps trained (a lower bound) and False when it never fit."""
    s = r.summary
    if s.get("steps_to_fit") is not None:
        return float(s["steps_to_fit"]), True
    return float(s.get("steps") or 0.0), False


def _check_fit_time(runs):
    def one(m):
        a = arms(runs, true_labels=_where(ix, m, "labels", 0.0), random_labels=_where(ix, m, "labels", 1.0))
        if isinstance(a, Verdict):
            return a
        true = {seed_of(r): _fit_steps(r) for r in a["true_labels"]}
        rand = {seed_of(r): _fit_steps(r) for r in a["random_labels"]}
        common = [k for k in true if k in rand]
        if (few := too_few_seeds(len(common))) is not None:
            return few
        stuck = [k for k in common if not rand[k][1] or not true[k][1]]
        logs = Mean.of(math.log(max(1.0, rand[k][0]) / max(1.0, true[k][0])) for k in common)
        margin = f"x(1, {SLOWDOWN_MAX:g}) (one-sided 95 % each way)"
        ev = Evidence(logs.n, math.exp(logs.mean), math.exp(logs.lower), math.exp(logs.upper), margin, "slowdown")
        if stuck:
            k = stuck[0]
            who, steps = ("random", rand[k][0]) if not rand[k][1] else ("true", true[k][0])
            return verdict(
                False,
                f"{len(stuck)} of {len(common)} seeds never fit ({who} labels, not within {steps:.0f} steps)",
                f"a run that never fits is slower than any that fit: no small constant factor; {margin}",
                ev,
            )
        ok = logs.lower > 0.0 and logs.upper < math.log(SLOWDOWN_MAX)
        measured = f"x{ev.effect:.2f} [{ev.lo:.2f}, {ev.hi:.2f}] (n={logs.n})"
        return verdict(ok, measured, f"paired steps-to-fit ratio random / true labels in {margin}", ev)

    ix = _index(runs)
    return all_hold([(m, one(m)) for m in _models(ix, "labels")])


def spearman(xs: list[float], ys: list[float]) -> float:
    """Spearman's rank correlation (average ranks for ties; 0 where one side is constant)."""

    def ranks(v):
        order = sorted(range(len(v)), key=v.__getitem__)
        out = [0.0] * len(v)
        i = 0
        while i < len(v):
            j = i
            while j + 1 < len(v) and v[order[j + 1]] == v[order[i]]:
                j += 1
            for k in range(i, j + 1):
                out[order[k]] = (i + j) / 2
            i = j + 1
        return out

    rx, ry = ranks(xs), ranks(ys)
    mx, my = sum(rx) / len(rx), sum(ry) / len(ry)
    sxy = sum((a - mx) * (b - my) for a, b in zip(rx, ry, strict=True))
    sxx = sum((a - mx) ** 2 for a in rx)
    syy = sum((b - my) ** 2 for b in ry)
    return sxy / math.sqrt(sxx * syy) if sxx and syy else 0.0


def _error_of(r: RunData) -> float | None:
    return _error(r.summary.get("final_test_acc"))


def _check_error_rises(runs):
    def one(m):
        levels = sorted({q for mm, c, q in ix.values() if mm == m and c == "labels"})
        if len(levels) < 3:
            return pending(f"needs ≥ 3 corruption levels (has {len(levels)})")
        a = arms(runs, **{f"p={p:g}": _where(ix, m, "labels", p) for p in levels})
        if isinstance(a, Verdict):
            return a
        err = {p: by_seed(a[f"p={p:g}"], _error_of) for p in levels}
        seeds = set.intersection(*(set(e) for e in err.values()))
        rho = Mean.of(spearman(levels, [err[p][k] for p in levels]) for k in seeds)
        mean_err = " -> ".join(f"{sum(err[p].values()) / len(err[p]):.2f}" for p in levels)
        v = exceeds(rho, RISE_RHO, "rank correlation of test error with p")
        return Verdict(v.status, f"{mean_err}; {v.measured}" if v.status != "pending" else "", v.detail, v.evidence)

    ix = _index(runs)
    return all_hold([(m, one(m)) for m in _models(ix, "labels")])


def _check_shuffle(runs):
    ix = _index(runs)
    kind = {r.id: r.model.name for r in runs}
    mlp = lambda *c: lambda r: kind[r.id] == "mlp" and _where(ix, None, *c)(r)
    conv = lambda *c: lambda r: kind[r.id] in CONV and _where(ix, None, *c)(r)
    a = arms(
        runs,
        mlp_true_labels=mlp("labels", 0.0),
        mlp_shuffled_pixels=mlp("shuffled_pixels"),
        cnn_true_labels=conv("labels", 0.0),
        cnn_shuffled_pixels=conv("shuffled_pixels"),
    )
    if isinstance(a, Verdict):
        return a
    acc = summary("final_test_acc")
    gap = lambda t, s: paired(by_seed(a[t], acc), by_seed(a[s], acc))
    m = SHUFFLE_MARGIN
    mlp_v = within(gap("mlp_true_labels", "mlp_shuffled_pixels"), -m, m, "true - shuffled")
    cnn_v = exceeds(gap("cnn_true_labels", "cnn_shuffled_pixels"), m, "true - shuffled")
    return all_hold([("MLP", mlp_v), ("CNN", cnn_v)])


CLAIMS = (
    Claim(
        "random-fit",
        "Random labels are fitted to 100 % training accuracy.",
        "Fig. 1a",
        "100 %",
        _check_random_fit,
        margin=f"every random-label run, per model, >= {100 * FIT_ACC:g} % train accuracy; >= {MIN_SEEDS} seeds",
        fpr=0.0,
        power=1.0,
    ),
    Claim(
        "random-chance",
        "With random labels the test accuracy is at chance.",
        "Fig. 1c",
        "≈ 10 %",
        _check_random_chance,
        margin="the 90 % interval of the per-seed mean (over models) inside 10 % ± 3 binomial sd of the test set, "
        "and every model's mean inside it",
        fpr=0.01,
        power=1.0,
    ),
    Claim(
        "fit-slowdown",
        "Fitting random labels takes longer, but only by a small constant factor.",
        "Fig. 1b",
        "≈ 1.5-3.5x",
        _check_fit_time,
        margin=f"per model, paired ratio of steps to fit random / true labels: 95 % bounds in (1, {SLOWDOWN_MAX:g}); "
        "a run that never fits fails",
        fpr=0.0,
        power=1.0,
    ),
    Claim(
        "error-rises",
        "Test error rises steadily with the label corruption.",
        "Fig. 1c",
        "0.14 -> 0.9 (Inception)",
        _check_error_rises,
        margin=f"per model, Spearman correlation of test error with p per seed: 95 % lower bound > {RISE_RHO:g}; "
        ">= 3 levels",
        fpr=0.0,
        power=1.0,
    ),
    Claim(
        "inputs-fit",
        "Shuffled pixels, random pixels and Gaussian inputs are fitted too.",
        "Fig. 1a",
        "100 %",
        _check_inputs_fit,
        margin=f"every run of all three input conditions, per model, >= {100 * FIT_ACC:g} % train accuracy; "
        f">= {MIN_SEEDS} seeds",
        fpr=0.0,
        power=1.0,
    ),
    Claim(
        "shuffle-mlp-vs-cnn",
        "An MLP is indifferent to a fixed pixel shuffle; a convolutional net is not.",
        "MNIST-1D reference (Greydanus 2020)",
        "MLP unchanged, CNN ≈ 94 % -> 57 %",
        _check_shuffle,
        margin=f"paired true - shuffled test accuracy: MLP within ±{100 * SHUFFLE_MARGIN:g} pp (equivalence), "
        f"CNN > {100 * SHUFFLE_MARGIN:g} pp (one-sided 95 %)",
        fpr=0.0,
        power=0.94,
    ),
)
