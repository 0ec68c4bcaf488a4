"""The complexity study's claims (studies/claims.py framework), on runs at the stopping
criterion (the papers' fixed training error); no torch.

Margins, fixed before measuring (docs/claims/complexity.md says why):
- params-blind (Zhang et al. 2017; Neyshabur et al. 2017 sec. 1): at one width the parameter
  count is constant, so it cannot rank anything, while the gap moves with the labels: the
  paired gap difference random - true labels is above GAP_SPREAD (one-sided 95 %) at every width.
- norms-grow / sharpness-grow (Neyshabur et al. 2017, Fig. 1): at the same training error, the
  margin-normalized norms and the sharpness are larger for random than for true labels: the
  paired log10 ratio random / true is above 0 (one-sided 95 %), for every measure of the family.
- sharpness-ranks (Jiang et al. 2020: sharpness-based measures correlate best): Psi, the granulated tau of 1/sigma'^2 with the gap, is above its permutation null band
  (the 95 % quantile of Psi with the gap shuffled across runs).
"""

from __future__ import annotations

from overfit_tui.core.status import Status
from overfit_tui.studies.base import RunData
from overfit_tui.studies.claims import (
    MIN_SEEDS,
    Claim,
    Evidence,
    Verdict,
    all_hold,
    arms,
    by_seed,
    exceeds,
    paired,
    pending,
    summary,
    too_few_seeds,
    verdict,
)
from overfit_tui.studies.complexity.figures import NULL_DRAWS, hyper_of, rows_of, tau_of, varying
from overfit_tui.studies.complexity.rank import granulated, psi_null

GAP_SPREAD = 0.10  # 10 pp of gap between true and random labels at one width: over 3 binomial sd of a
# 1,000-sample test accuracy (2.8 pp); Zhang et al.'s CIFAR-10 spread is ~76 pp (test error 0.14 -> 0.9)
NORMS = ("log_l2_margin", "log_path_margin", "log_spec_bound")
SHARP = ("log_sharpness", "log_pacbayes")
RANKED = "log_sharpness"


def _ends(runs: list[RunData]) -> tuple[float, float] | None:
    ps = sorted({hyper_of(r)["p"] for r in runs})
    return (ps[0], ps[-1]) if len(ps) > 1 and ps[0] == 0.0 else None


def _at_fixed_error(runs: list[RunData], where) -> dict[str, list[RunData]] | Verdict:
    """The true- and most-corrupted-label arms (p = 0 and the largest p), fitted runs only."""
    ends = _ends(runs)
    if ends is None:
        return pending("needs: true labels (p = 0) and a corrupted level (present and finished)")
    lo, hi = ends
    a = arms(
        runs,
        true_labels=lambda r: hyper_of(r)["p"] == lo and where(r),
        corrupted_labels=lambda r: hyper_of(r)["p"] == hi and where(r),
    )
    if isinstance(a, Verdict):
        return a
    return {k: [r for r in v if r.summary.get("fitted")] for k, v in a.items()}


def _unfitted(runs: list[RunData]) -> str:
    n = sum(1 for r in runs if r.status == Status.FINISHED and not r.summary.get("fitted"))
    return f"; {n} run(s) never reached the stopping criterion, left out" if n else ""


def _widths(runs: list[RunData]) -> list:
    return sorted({hyper_of(r)["width"] for r in runs if hyper_of(r)["width"] is not None})


def _check_params_blind(runs):
    def one(w):
        a = _at_fixed_error(runs, lambda r: hyper_of(r)["width"] == w)
        if isinstance(a, Verdict):
            return a
        counts = {r.summary.get("n_params") for v in a.values() for r in v}
        if len(counts) > 1:
            return verdict(False, f"parameter counts differ at width {w}: {sorted(counts)}", "one architecture")
        gap = summary("gap")
        return exceeds(
            paired(by_seed(a["corrupted_labels"], gap), by_seed(a["true_labels"], gap)), GAP_SPREAD, "gap random - true"
        )

    widths = _widths(runs)
    v = all_hold([(f"w{w}", one(w)) for w in widths], empty="needs: runs (present and finished)")
    if v.status == "pending":
        return v
    t = tau_of(rows_of(runs, "n_params"))
    extra = f"; tau(params, gap) over the sweep {t:+.2f}" if t is not None else ""
    return Verdict(v.status, v.measured + extra + _unfitted(runs), v.detail, v.evidence)


def _grows(keys):
    def check(runs):
        def one(key):
            a = _at_fixed_error(runs, lambda r: True)
            if isinstance(a, Verdict):
                return a
            val = summary(key)
            return exceeds(
                paired(by_seed(a["corrupted_labels"], val), by_seed(a["true_labels"], val)), 0.0, "log10 ratio"
            )

        v = all_hold([(k, one(k)) for k in keys])
        return v if v.status == "pending" else Verdict(v.status, v.measured + _unfitted(runs), v.detail, v.evidence)

    return check


def _check_ranks(runs):
    rows = rows_of(runs, RANKED)
    if not rows:
        return pending(f"needs: runs with {RANKED} (present and finished)")
    if (few := too_few_seeds(len({hp["seed"] for hp, _, _ in rows}))) is not None:
        return few
    hyper = varying(rows)
    if not hyper:
        return pending("needs a swept hyperparameter with two values")
    g = granulated(rows, hyper)
    psi = g["all"]
    band = psi_null(rows, hyper, "all", NULL_DRAWS)
    if psi is None or band is None:
        return pending("no group where only one hyperparameter varies")
    parts = ", ".join(f"psi_{h} {g[h]:+.2f}" for h in hyper if g.get(h) is not None)
    margin = f"> null 95 % band {band:+.3f} ({NULL_DRAWS} permutations of the gap)"
    ev = Evidence(len({hp["seed"] for hp, _, _ in rows}), psi, psi, psi, margin, "Psi of log10 1/sigma'^2")
    return verdict(psi > band, f"Psi {psi:+.3f} ({parts}; {len(rows)} runs)" + _unfitted(runs), margin, ev)


CLAIMS = (
    Claim(
        "params-blind",
        "The parameter count cannot rank the generalization gap: one architecture spans a large gap range.",
        "Zhang et al. 2017 Fig. 1c; Neyshabur et al. 2017 sec. 1",
        "gap 0.14 -> 0.9 test error at one size",
        _check_params_blind,
        margin=f"per width, paired gap (p = max) - gap (p = 0) over seeds: 95 % lower bound > {GAP_SPREAD:g}; "
        f"one parameter count per width (tau within an architecture = 0); >= {MIN_SEEDS} seeds",
        fpr=0.0,
        power=1.0,
    ),
    Claim(
        "norms-grow",
        "At the same training error, margin-normalized norms are larger for random than for true labels.",
        "Neyshabur et al. 2017 Fig. 1",
        "random labels above true at every n",
        _grows(NORMS),
        margin="per measure (l2 / margin, path norm / margin, spectral bound), paired log10 ratio p = max / p = 0 "
        f"over seeds: 95 % lower bound > 0; fitted runs only; >= {MIN_SEEDS} seeds",
        fpr=0.0,
        power=1.0,
    ),
    Claim(
        "sharpness-grows",
        "At the same training error, the net is sharper (smaller sigma') for random than for true labels.",
        "Neyshabur et al. 2017 sec. 3; Jiang et al. 2020 (sharpness measures)",
        "random labels sharper",
        _grows(SHARP),
        margin="per measure (1/sigma'^2, ||w-w0||^2/4sigma'^2), paired log10 ratio p = max / p = 0 over seeds: "
        f"95 % lower bound > 0; fitted runs only; >= {MIN_SEEDS} seeds",
        fpr=0.0,
        power=1.0,
    ),
    Claim(
        "sharpness-ranks",
        "The PAC-Bayes sharpness ranks the gap across the sweep's hyperparameters.",
        "Jiang et al. 2020 (tau and granulated tau tables)",
        "pacbayes.flatness among the best granulated taus",
        _check_ranks,
        margin=f"Psi (Jiang's granulated tau, mean over swept hyperparameters) above the 95 % quantile of Psi "
        f"with the gap permuted across runs ({NULL_DRAWS} draws); >= {MIN_SEEDS} seeds",
        fpr=0.03,
        power=1.0,
    ),
)
