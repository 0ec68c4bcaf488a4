"""A paper's claims as data, checked against a group's runs.

Each study lists its paper's claims (`Study.claims()`): an id, one sentence, the figure or
table it comes from, the paper's number where there is one, and a check over the group's
runs that returns a `Verdict`: holds, fails, or pending (not enough finished runs yet), with
the measured value and how it was decided. Checks use every finished replicate: with several
seeds they compare means and spreads, never a fixed answer.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Literal

from overfit_tui.core.schema import Stat
from overfit_tui.studies.base import RunData

Status = Literal["holds", "fails", "pending"]
ENDED_OK = ("finished",)


@dataclass(frozen=True)
class Verdict:
    """The outcome of one claim's check on one group."""

    status: Status
    measured: str = ""  # our number(s), formatted for a table
    detail: str = ""  # how it was decided (threshold, margin, which runs)


@dataclass(frozen=True)
class Claim:
    """One claim of a paper, and how to check it on a group's runs."""

    id: str
    text: str
    source: str  # where the paper makes it: "Fig. 1a", "Table 1"
    paper: str  # the paper's number(s), or "" where the claim is qualitative
    check: Callable[[list[RunData]], Verdict] = field(compare=False, repr=False)


def pending(why: str) -> Verdict:
    return Verdict("pending", "", why)


def verdict(ok: bool, measured: str, detail: str) -> Verdict:
    return Verdict("holds" if ok else "fails", measured, detail)


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


def evaluate(claims: Iterable[Claim], runs: list[RunData]) -> list[tuple[Claim, Verdict]]:
    """Every claim's verdict; a check that raises on odd data reads as pending, never crashes a screen."""
    out = []
    for c in claims:
        try:
            out.append((c, c.check(runs)))
        except (KeyError, TypeError, ValueError, ZeroDivisionError) as e:
            out.append((c, pending(f"cannot check yet ({type(e).__name__})")))
    return out


MARK = {"holds": "✓", "fails": "✗", "pending": "…"}
