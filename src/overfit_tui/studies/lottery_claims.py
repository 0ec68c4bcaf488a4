"""The claims of "The lottery ticket hypothesis" (Frankle & Carbin 2019), checked on a lottery
group: means over the finished seeds at each sparsity (test accuracy and step at early stop).

"Matches" allows `MATCH_MARGIN` below the dense net's mean: two seeds of MNIST-1D spread by
about a point. The paper's LeNet numbers (Fig. 1/3/4) are the reference where it gives them.
"""

from __future__ import annotations

from overfit_tui.studies.base import RunData
from overfit_tui.studies.claims import Claim, Verdict, finished, pending, verdict

MATCH_MARGIN = 0.01  # a ticket within 1 point of the dense accuracy matches it
SMALL = 0.21  # "10-20 % of the weights or fewer": the paper's LeNet ticket at 21.1 %
MODERATE = 0.3  # below this the paper's reinitialized tickets have fallen behind


def _by(runs: list[RunData], key: str) -> dict[tuple[str, float], float]:
    """(arm, fraction remaining) -> mean of `key` over finished seeds; the dense run is arm 'dense'."""
    at: dict[tuple[str, float], list[float]] = {}
    for r in finished(runs):
        p, v = r.spec["params"], r.summary.get(key)
        if isinstance(v, (int, float)):
            arm = "dense" if p["round"] == 0 else p["arm"]
            at.setdefault((arm, round(p["remaining"], 6)), []).append(float(v))
    return {k: sum(v) / len(v) for k, v in at.items()}


def _dense(m: dict) -> float | None:
    return next((v for (arm, _), v in m.items() if arm == "dense"), None)


def _arm(m: dict, arm: str, pred=lambda left: True) -> dict[float, float]:
    return {left: v for (a, left), v in m.items() if a == arm and pred(left)}


def _pct(left: float) -> str:
    return f"{100 * left:.3g} %"


def _check_match(runs: list[RunData]) -> Verdict:
    m = _by(runs, "early_stop_test_acc")
    dense, small = _dense(m), _arm(m, "ticket", lambda left: left <= SMALL)
    if dense is None or not small:
        return pending("needs the dense run and a ticket at 21 % of the weights or fewer")
    best = max(small, key=small.get)
    matched = sorted((left for left, v in small.items() if v >= dense - MATCH_MARGIN), reverse=True)
    measured = f"dense {100 * dense:.1f} %, best ticket {100 * small[best]:.1f} % at {_pct(best)}"
    if matched:
        measured += f"; tickets match down to {_pct(matched[-1])}"
    return verdict(bool(matched), measured, f"a ticket at <= 21 % within {100 * MATCH_MARGIN:g} point of dense")


def _check_faster(runs: list[RunData]) -> Verdict:
    m = _by(runs, "early_stop_step")
    dense, big = _dense(m), _arm(m, "ticket", lambda left: left >= SMALL)
    if dense is None or not big:
        return pending("needs the dense run and a ticket above 21 % of the weights")
    fastest = min(big, key=big.get)
    measured = f"dense step {dense:.0f}, ticket step {big[fastest]:.0f} at {_pct(fastest)}"
    return verdict(big[fastest] < dense, measured, "some ticket above 21 % early-stops before the dense net")


def _pairs(runs: list[RunData], key: str, pred) -> list[tuple[float, float, float]]:
    m = _by(runs, key)
    t, r = _arm(m, "ticket", pred), _arm(m, "reinit", pred)
    return [(left, t[left], r[left]) for left in sorted(t, reverse=True) if left in r]


def _check_reinit_worse(runs: list[RunData]) -> Verdict:
    pairs = _pairs(runs, "early_stop_test_acc", lambda left: left <= MODERATE)
    if not pairs:
        return pending("needs tickets and reinitialized controls at 30 % of the weights or fewer")
    wins = sum(t > r for _, t, r in pairs)
    gap = sum(t - r for _, t, r in pairs) / len(pairs)
    measured = f"ticket ahead at {wins} of {len(pairs)} sparsities, by {100 * gap:+.1f} points on average"
    return verdict(gap > 0 and wins > len(pairs) / 2, measured, "<= 30 % of weights: mean gap > 0, most sparsities")


def _check_reinit_slower(runs: list[RunData]) -> Verdict:
    pairs = _pairs(runs, "early_stop_step", lambda left: True)
    if not pairs:
        return pending("needs tickets and reinitialized controls")
    gap = sum(r - t for _, t, r in pairs) / len(pairs)
    measured = f"reinit early-stops {gap:+.0f} steps after the ticket on average ({len(pairs)} sparsities)"
    return verdict(gap > 0, measured, "mean early-stop step: reinit later than ticket")


def _check_degrades(runs: list[RunData]) -> Verdict:
    m = _by(runs, "early_stop_test_acc")
    dense = _dense(m)
    sparse = [left for (arm, left) in m if arm != "dense"]
    if dense is None or not sparse:
        return pending("needs the dense run and pruned runs")
    least = min(sparse)
    arms = {a: v for (a, left), v in m.items() if left == least and a != "dense"}
    measured = f"at {_pct(least)}: " + ", ".join(f"{a} {100 * v:.1f} %" for a, v in sorted(arms.items()))
    return verdict(all(v < dense for v in arms.values()), measured, f"every arm below dense ({100 * dense:.1f} %)")


CLAIMS = (
    Claim(
        "ticket-matches-dense",
        "Winning tickets at 10-20 % of the weights or fewer match or beat the dense net's test accuracy",
        "Fig. 1, 4",
        "LeNet: above dense down to 3.6 % of weights",
        _check_match,
    ),
    Claim(
        "ticket-learns-faster",
        "Above ~20 % of the weights, winning tickets reach their early-stopping point sooner",
        "Fig. 1, 3",
        "LeNet: fastest near 21 %",
        _check_faster,
    ),
    Claim(
        "reinit-worse",
        "The same masks randomly reinitialized reach lower test accuracy",
        "Fig. 4",
        "",
        _check_reinit_worse,
    ),
    Claim(
        "reinit-slower",
        "Randomly reinitialized tickets learn more slowly than winning tickets",
        "Fig. 4",
        "",
        _check_reinit_slower,
    ),
    Claim(
        "extreme-degrades",
        "At extreme sparsity every subnetwork falls below the dense net",
        "Fig. 4",
        "MNIST-1D authors at 99 %: ticket ≈ 42 %, random ≈ 17 %",
        _check_degrades,
    ),
)
