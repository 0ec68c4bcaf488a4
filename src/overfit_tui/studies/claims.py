"""A paper's claims as decisions with a null, checked against a group's runs.

Each study lists its paper's claims (`Study.claims()`): an id, one sentence, the figure or
table it comes from, the paper's number, and a check over the group's runs that returns a
`Verdict`: holds, fails, or pending. A claim is a *decision*, not a description:

- it reads the paper's quantity on the paper's metric;
- its margin is fixed before measuring (the paper's effect size, or the seed spread: a
  one-sided 95 % t-bound over >= `MIN_SEEDS` seeds);
- it is pending, never ✓, while an arm it compares is missing or unfinished, or while it
  has fewer seeds than it needs;
- its false-positive rate on null data (no effect) and its power on data with the paper's
  effect are measured by `tests/studies/test_claims_null.py` and declared on the claim
  (`fpr`, `power`), so the Scorecard can show them beside the verdict.

`Evidence` carries what was decided on: n seeds, the effect with its 95 % interval and the
margin it was held against. `kind="construction"` marks a check of how a study builds its
model (e.g. "the net has 2n + d weights"): shown apart from the paper's claims.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from overfit_tui.core.schema import Stat
from overfit_tui.core.stats import t_quantile
from overfit_tui.core.status import ENDED, ENDED_OK
from overfit_tui.studies.base import RunData

Status = Literal["holds", "fails", "pending"]
Kind = Literal["paper", "construction"]
MIN_SEEDS = 3  # the fewest replicates a claim decides on


@dataclass(frozen=True)
class Evidence:
    """What a verdict was decided on: n replicates, the effect with its 95 % interval (lo, hi)
    and the margin, fixed before measuring, that the effect was held against."""

    n: int
    effect: float
    lo: float
    hi: float
    margin: str  # e.g. "> 0 (one-sided 95 %)", "in [0.97, 1.03]"
    what: str = ""  # what the effect is: "paired test-accuracy gap", "ratio", ...

    def to_dict(self) -> dict:
        return {
            "n": self.n,
            "effect": self.effect,
            "interval": [self.lo, self.hi],
            "margin": self.margin,
            "what": self.what,
        }

    def text(self) -> str:
        return f"{_g(self.effect)} [{_g(self.lo)}, {_g(self.hi)}] vs {self.margin}, n={self.n}"


def _g(v: float) -> str:
    if not math.isfinite(v):
        return "inf" if v > 0 else ("-inf" if v < 0 else "nan")
    return f"{v:.3g}"


@dataclass(frozen=True)
class Verdict:
    """The outcome of one claim's check on one group."""

    status: Status
    measured: str = ""  # our number(s), formatted for a table
    detail: str = ""  # how it was decided (threshold, margin, which runs) or why it is pending
    evidence: Evidence | None = None


@dataclass(frozen=True)
class Claim:
    """One claim of a paper, and how to check it on a group's runs.

    `fpr` and `power` are the null audit's measured rates (tests/studies/test_claims_null.py
    checks they are what the claim declares): the share of no-effect groups on which it holds,
    and of groups with the paper's effect on which it holds."""

    id: str
    text: str
    source: str  # where the paper makes it: "Fig. 1a", "Table 1"
    paper: str  # the paper's number(s), or "" where the claim is qualitative
    check: Callable[[list[RunData]], Verdict] = field(compare=False, repr=False)
    margin: str = ""  # the decision rule, fixed before measuring, in words
    kind: Kind = "paper"
    fpr: float | None = None  # false-positive rate on null data (audited)
    power: float | None = None  # hold rate with the paper's effect (audited)


def pending(why: str) -> Verdict:
    return Verdict("pending", "", why)


def verdict(ok: bool, measured: str, detail: str, evidence: Evidence | None = None) -> Verdict:
    return Verdict("holds" if ok else "fails", measured, detail, evidence)


def finished(runs: Iterable[RunData], pred: Callable[[RunData], bool] = lambda r: True) -> list[RunData]:
    return [r for r in runs if r.status in ENDED_OK and pred(r)]


def stat_of(runs: Iterable[RunData], key: str) -> Stat | None:
    return Stat.of([r.summary.get(key) for r in runs])


def fmt_pct(s: Stat | float | None) -> str:
    if s is None:
        return "-"
    if isinstance(s, Stat):
        return f"{100 * s.mean:.1f} %" if s.n == 1 else f"{100 * s.mean:.1f} ± {100 * s.std:.1f} % (n={s.n})"
    return f"{100 * s:.1f} %"


def chance_margin(n_test: int, classes: int = 10, sigmas: float = 3.0) -> float:
    """How far from 1/K a chance-level test accuracy may lie: 3 binomial standard deviations."""
    p = 1 / classes
    return sigmas * math.sqrt(p * (1 - p) / max(1, n_test))


# -- arms: a claim decides only on what it names ------------------------------------------
def seed_of(r: RunData) -> tuple:
    """A run's replicate: its (init, order, noise) seeds."""
    return (r.seeds.init, r.seeds.order, r.seeds.noise)


def arms(runs: Sequence[RunData], **preds: Callable[[RunData], bool]) -> dict[str, list[RunData]] | Verdict:
    """The finished runs of each named arm, or a pending verdict naming every arm that is
    missing or still has runs that have not ended (queued, running).

    An arm's name is its keyword with `_` read as a space: `arms(runs, cnn_shuffled_pixels=...)`
    is pending with "needs: cnn shuffled pixels" until those runs exist and have ended."""
    out: dict[str, list[RunData]] = {}
    missing: list[str] = []
    for name, pred in preds.items():
        mine = [r for r in runs if pred(r)]
        done = [r for r in mine if r.status in ENDED_OK]
        if not done or any(r.status not in ENDED for r in mine):
            missing.append(name.replace("_", " "))
        else:
            out[name] = done
    if missing:
        return pending("needs: " + ", ".join(missing) + " (present and finished)")
    return out


def too_few_seeds(n: int, need: int = MIN_SEEDS) -> Verdict | None:
    """Pending when fewer than `need` replicates back a decision."""
    return pending(f"needs ≥ {need} seeds (has {n})") if n < need else None


# -- the statistics a margin is held against ---------------------------------------------
def t95(df: int) -> float:
    """The one-sided 95 % quantile of Student's t with `df` degrees of freedom."""
    return t_quantile(df, two_sided=False)


@dataclass(frozen=True)
class Mean:
    """A mean over replicates with its standard error and one-sided 95 % bounds."""

    n: int
    mean: float
    se: float

    @classmethod
    def of(cls, values: Iterable[float]) -> Mean | None:
        vals = [float(v) for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
        vals = [v for v in vals if not math.isnan(v)]
        if not vals:
            return None
        n = len(vals)
        m = sum(vals) / n
        if not math.isfinite(m):
            return cls(n, m, 0.0)
        sd = math.sqrt(sum((v - m) ** 2 for v in vals) / (n - 1)) if n > 1 else math.inf
        return cls(n, m, sd / math.sqrt(n))

    @property
    def lower(self) -> float:
        """The one-sided 95 % lower bound of the mean."""
        return self.mean - t95(self.n - 1) * self.se if self.se else self.mean

    @property
    def upper(self) -> float:
        return self.mean + t95(self.n - 1) * self.se if self.se else self.mean

    def evidence(self, margin: str, what: str = "") -> Evidence:
        return Evidence(self.n, self.mean, self.lower, self.upper, margin, what)


def by_seed(runs: Iterable[RunData], value: Callable[[RunData], float | None]) -> dict[tuple, float]:
    """One number per replicate (the mean where a replicate has several runs), None dropped."""
    acc: dict[tuple, list[float]] = {}
    for r in runs:
        v = value(r)
        if isinstance(v, (int, float)) and not isinstance(v, bool) and not math.isnan(v):
            acc.setdefault(seed_of(r), []).append(float(v))
    return {k: sum(v) / len(v) for k, v in acc.items()}


def summary(key: str) -> Callable[[RunData], float | None]:
    return lambda r: r.summary.get(key)


def paired(a: dict[tuple, float], b: dict[tuple, float]) -> Mean | None:
    """The mean of a - b over the replicates both have (a paired comparison)."""
    common = [k for k in a if k in b]
    return Mean.of(a[k] - b[k] for k in common)


def exceeds(m: Mean | None, margin: float, what: str = "", need: int = MIN_SEEDS) -> Verdict:
    """Holds when the one-sided 95 % lower bound of the mean is above `margin`."""
    if m is None:
        return pending("no replicate has both numbers yet")
    if (few := too_few_seeds(m.n, need)) is not None:
        return few
    ev = m.evidence(f"> {_g(margin)} (one-sided 95 %)", what)
    return verdict(m.lower > margin, f"{what} {_g(m.mean)} (95 % bound {_g(m.lower)}, n={m.n})".strip(), ev.margin, ev)


def within(m: Mean | None, lo: float, hi: float, what: str = "", need: int = MIN_SEEDS) -> Verdict:
    """Holds when the mean's 90 % two-sided interval (two one-sided 95 % tests) lies inside [lo, hi]."""
    if m is None:
        return pending("no replicate has the number yet")
    if (few := too_few_seeds(m.n, need)) is not None:
        return few
    ev = m.evidence(f"in [{_g(lo)}, {_g(hi)}] (equivalence, 95 %)", what)
    ok = m.lower >= lo and m.upper <= hi
    return verdict(ok, f"{what} {_g(m.mean)} [{_g(m.lower)}, {_g(m.upper)}] (n={m.n})".strip(), ev.margin, ev)


def all_hold(parts: list[tuple[str, Verdict]], rule: str = "", empty: str = "nothing to check yet") -> Verdict:
    """One verdict from the verdicts of several parts (models, setups, layers, levels): pending
    while any part is (naming it), else holds only if every part holds (an intersection-union
    test: each part at its own 95 % bound). The evidence shown is the first failing part's, else
    the first part's; `rule` says the joint rule (default: that part's)."""
    if not parts:
        return pending(empty)
    waiting = [f"{name}: {v.detail}" for name, v in parts if v.status == "pending"]
    if waiting:
        return pending("; ".join(waiting))
    ok = all(v.status == "holds" for _, v in parts)
    shown = next((v for _, v in parts if v.status != "holds"), parts[0][1])
    measured = "; ".join(f"{name}: {v.measured}" for name, v in parts)
    return verdict(ok, measured, rule or shown.detail, shown.evidence)


def evaluate(claims: Iterable[Claim], runs: list[RunData]) -> list[tuple[Claim, Verdict]]:
    """Every claim's verdict; a check that raises on odd data reads as pending, never crashes a screen."""
    out = []
    for c in claims:
        try:
            out.append((c, c.check(runs)))
        except (KeyError, TypeError, ValueError, ZeroDivisionError, AttributeError) as e:
            out.append((c, pending(f"cannot check yet ({type(e).__name__})")))
    return out


def evidence_text(c: Claim, v: Verdict) -> str:
    """One line of what a verdict stands on: the effect, its interval and margin, n, the null FPR."""
    parts = [v.evidence.text()] if v.evidence else ([c.margin] if c.margin else [])
    if c.fpr is not None:
        parts.append(f"null FPR {100 * c.fpr:.0f} %")
    return "; ".join(parts)


MARK = {"holds": "✓", "fails": "✗", "pending": "…"}
