"""The claims of "The lottery ticket hypothesis" (Frankle & Carbin 2019), checked on a lottery
group as decisions with a null: every comparison is PAIRED per seed (a seed's ticket, its
reinitialized control and its random-pruning control all descend from that seed's dense run)
at the SAME sparsity level, over >= 3 seeds, with the level ranges fixed before measuring from
the paper's LeNet results (Fig. 1, 3, 4; the abstract):

- 21-51 % of the weights left (`FAST`): "above this size [10-20 %] the winning tickets learn
  faster than the original network and reach higher test accuracy" (Fig. 3: Pm = 51.3 % and
  21.1 % both beat the dense net, 21.1 % fastest);
- below 21 % down to 3.6 % (`REINIT`): reinitialized tickets "learn increasingly slower" and
  fall behind (Fig. 4);
- 1.8-3.6 % (`EXTREME`): "when Pm = 3.6 % a winning ticket regresses to the performance of
  the original network", below it falls (Fig. 3/4, Pm = 1.9 %).

Multiplicity: a claim over a range is one pre-declared decision, never "the best level".
`ticket-matches-dense`, `ticket-learns-faster`, `reinit-worse` and `reinit-slower` hold only
when the one-sided 95 % paired bound clears the margin at EVERY level of their range (an
intersection-union test: its false positive rate is at most the per-level 5 %, with no search
over levels, unlike the old "any level" rule); `extreme-degrades` needs every arm below
dense, each on its per-seed mean over the extreme levels (intersection-union over arms).

Censoring: an early-stop step is at most the step budget; a run whose validation loss still
fell at its last check counts at the budget (a lower bound of when it would have stopped),
never dropped, so a run that never settled is slower than any that did.
"""

from __future__ import annotations

from collections.abc import Callable

from overfit_tui.studies.base import RunData
from overfit_tui.studies.claims import (
    Claim,
    Evidence,
    Mean,
    Verdict,
    arms,
    pending,
    seed_of,
    too_few_seeds,
    verdict,
)

FAST = (0.20, 0.52)  # the paper's Pm = 51.3 % ... 21.1 % (Fig. 3), rounded outwards to include both
REINIT = (0.036, 0.21)  # below the paper's 21.1 %, down to its 3.6 % (reinit behind, Fig. 4)
EXTREME = (0.018, 0.0365)  # the paper's 1.9-3.6 % (Fig. 3/4), where every subnetwork falls
LEVEL = Callable[[float], bool]


def _left(r: RunData) -> float:
    return round(r.params.remaining, 6)


def _is(arm: str, lo: float, hi: float) -> Callable[[RunData], bool]:
    return lambda r: r.params.round > 0 and r.params.arm == arm and lo <= _left(r) <= hi


def _dense(r: RunData) -> bool:
    return r.params.round == 0


def _table(runs: list[RunData], key: str) -> dict[float, dict[tuple, float]]:
    """level -> seed -> value of `key` (levels of one arm's finished runs)."""
    out: dict[float, dict[tuple, float]] = {}
    for r in runs:
        v = r.summary.get(key)
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            out.setdefault(_left(r), {})[seed_of(r)] = float(v)
    return out


def _dense_of(runs: list[RunData], key: str) -> dict[tuple, float]:
    return {seed_of(r): float(v) for r in runs if isinstance(v := r.summary.get(key), (int, float))}


def _pct(left: float) -> str:
    return f"{100 * left:.3g} %"


def _unit(key: str) -> tuple[float, str]:
    return (100.0, " pts") if "acc" in key else (1.0, " steps")


def _levels_test(
    runs: list[RunData], arm: str, rng: tuple[float, float], key: str, sign: int, what: str, ref: str = "dense"
) -> Verdict:
    """Intersection-union over the levels in `rng`: at every level the one-sided 95 % bound of
    the paired per-seed gap sign * (arm - ref) must be above 0; `ref` is the seed's dense run,
    or another arm at the same level (the reinitialized control)."""
    if ref == "dense":
        got = arms(runs, dense=_dense, **{arm: _is(arm, *rng)})
    else:
        got = arms(runs, **{arm: _is(arm, *rng), ref: _is(ref, *rng)})
    if isinstance(got, Verdict):
        return got
    table = _table(got[arm], key)
    if ref == "dense":
        dense = _dense_of(got["dense"], key)
        other = {left: dense for left in table}
    else:
        other = _table(got[ref], key)
    scale, unit = _unit(key)
    parts, oks, worst = [], [], None
    for left in sorted(table, reverse=True):
        base = other.get(left, {})
        m = Mean.of(sign * (v - base[s]) for s, v in table[left].items() if s in base)
        if m is None or (few := too_few_seeds(m.n)) is not None:
            return few if m is not None else pending(f"needs the {ref} runs of the seeds at {_pct(left)}")
        oks.append(m.lower > 0)
        parts.append(f"{_pct(left)}: {scale * m.mean:+.3g}{unit} (bound {scale * m.lower:+.3g})")
        if worst is None or m.lower < worst.lower:
            worst = m
    assert worst is not None
    ev = Evidence(
        worst.n,
        scale * worst.mean,
        scale * worst.lower,
        scale * worst.upper,
        f"> 0 at every level in {100 * rng[0]:.3g}-{_pct(rng[1])} (one-sided 95 %, paired)",
        f"{what} (the level with the lowest bound)",
    )
    return verdict(all(oks), f"{what}: " + "; ".join(parts) + f" (n={worst.n})", ev.margin, ev)


def _check_match(runs: list[RunData]) -> Verdict:
    return _levels_test(runs, "ticket", FAST, "early_stop_test_acc", +1, "ticket - dense test accuracy")


def _check_faster(runs: list[RunData]) -> Verdict:
    return _levels_test(runs, "ticket", FAST, "early_stop_step", -1, "dense - ticket early-stop step")


def _per_seed_mean(table: dict[float, dict[tuple, float]], other: dict[float, dict[tuple, float]], sign: int):
    """seed -> mean over the levels of sign * (table - other), for the seeds present at every level."""
    levels = sorted(set(table) & set(other))
    seeds = set.intersection(*(set(table[lv]) & set(other[lv]) for lv in levels)) if levels else set()
    return levels, {s: sum(sign * (table[lv][s] - other[lv][s]) for lv in levels) / len(levels) for s in seeds}


def _check_reinit_worse(runs: list[RunData]) -> Verdict:
    return _levels_test(runs, "ticket", REINIT, "early_stop_test_acc", +1, "ticket - reinit test accuracy", "reinit")


def _check_reinit_slower(runs: list[RunData]) -> Verdict:
    return _levels_test(runs, "ticket", REINIT, "early_stop_step", -1, "reinit - ticket early-stop step", "reinit")


def _check_degrades(runs: list[RunData]) -> Verdict:
    """Every arm present at the extreme levels below dense: per arm, each seed's mean over those
    levels of dense - arm, one-sided 95 % bound > 0; all arms must (intersection-union)."""
    present = sorted({r.params.arm for r in runs if _is(r.params.arm, *EXTREME)(r)})
    if not present:
        return pending(f"needs pruned runs at {_pct(EXTREME[0])}-{_pct(EXTREME[1])} of the weights")
    got = arms(runs, dense=_dense, **{a: _is(a, *EXTREME) for a in present})
    if isinstance(got, Verdict):
        return got
    dense = _dense_of(got["dense"], "early_stop_test_acc")
    parts, oks, worst = [], [], None
    for a in present:
        table = _table(got[a], "early_stop_test_acc")
        levels, gaps = _per_seed_mean(table, {lv: dense for lv in table}, -1)
        m = Mean.of(100 * g for g in gaps.values())
        if m is None or (few := too_few_seeds(m.n)) is not None:
            return few if m is not None else pending("needs the dense run of the extreme seeds")
        oks.append(m.lower > 0)
        parts.append(f"{a} {m.mean:+.3g} pts below (bound {m.lower:+.3g})")
        if worst is None or m.lower < worst.lower:
            worst = m
    assert worst is not None
    margin = "> 0 for every arm (one-sided 95 %, paired, mean over the levels in 1.8-3.6 %)"
    ev = worst.evidence(margin, "dense - arm test accuracy, points (the arm with the lowest bound)")
    return verdict(all(oks), "; ".join(parts) + f" (n={worst.n})", margin, ev)


CLAIMS = (
    Claim(
        "ticket-matches-dense",
        "Winning tickets with 21-51 % of the weights reach at least the dense net's test accuracy (at early stop)",
        "Abstract; Fig. 3, 4",
        "LeNet: tickets at 51.3 % and 21.1 % above the dense net's test accuracy",
        _check_match,
        margin="at EVERY level in 20-52 % left: paired (ticket - dense) early-stop test accuracy, "
        "one-sided 95 % bound > 0 over >= 3 seeds",
        fpr=0.03,
        power=0.91,
    ),
    Claim(
        "ticket-learns-faster",
        "Winning tickets with 21-51 % of the weights reach their early-stopping point sooner than the dense net",
        "Abstract; Fig. 3, 4",
        "LeNet: 51.3 % faster than dense, 21.1 % fastest",
        _check_faster,
        margin="at EVERY level in 20-52 % left: paired (dense - ticket) early-stop step, "
        "one-sided 95 % bound > 0 over >= 3 seeds (steps censored at the budget)",
        fpr=0.02,
        power=0.92,
    ),
    Claim(
        "reinit-worse",
        "Below ~21 % of the weights, the same masks randomly reinitialized reach lower test accuracy",
        "Fig. 4",
        "LeNet: reinitialized tickets fall behind the winning tickets below ~21 %",
        _check_reinit_worse,
        margin="at EVERY level in 3.6-21 % left: paired (ticket - reinit) early-stop test accuracy, "
        "one-sided 95 % bound > 0 over >= 3 seeds",
        fpr=0.0,
        power=1.0,
    ),
    Claim(
        "reinit-slower",
        "Below ~21 % of the weights, randomly reinitialized tickets learn more slowly than winning tickets",
        "Fig. 4",
        "LeNet: reinitialized tickets reach early stop later, increasingly so below ~21 %",
        _check_reinit_slower,
        margin="at EVERY level in 3.6-21 % left: paired (reinit - ticket) early-stop step, "
        "one-sided 95 % bound > 0 over >= 3 seeds (steps censored at the budget)",
        fpr=0.0,
        power=0.89,
    ),
    Claim(
        "extreme-degrades",
        "At extreme sparsity (1.8-3.6 % of the weights) every subnetwork falls below the dense net",
        "Fig. 3, 4",
        "LeNet: back to dense accuracy at 3.6 %, below at 1.9 %; MNIST-1D notebook at 1 %: ticket ≈ 42 %, random ≈ 17 %",
        _check_degrades,
        margin="every arm: per seed, mean over the levels in 1.8-3.6 % of (dense - arm) early-stop test "
        "accuracy; one-sided 95 % paired bound > 0 over >= 3 seeds",
        fpr=0.045,
        power=1.0,
    ),
)
