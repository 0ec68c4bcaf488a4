"""Null and power cases of every study's claims (one module per study; see test_claims_null.py).

Each module sets `STUDY` (the study's name) and `CASES`: claim id -> `Case`. A case has one or
more null generators (each a group with no effect, of a different kind) and one generator with
the paper's effect size; each takes a `random.Random` and returns a list of `RunData`.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from overfit_tui.studies.base import RunData

Gen = Callable[[random.Random], list[RunData]]


@dataclass(frozen=True)
class Case:
    """How one claim is audited: nulls it must fail on, and the paper's effect it must hold on."""

    nulls: dict[str, Gen]  # name of the null ("flat", "monotone", "arms identical", ...) -> generator
    effect: Gen  # a group with the paper's effect size
    draws: int = 200
    note: str = ""  # what the null and effect are, in words (docs/claims.md)
    effect_name: str = "paper's effect"
    extra: dict[str, Gen] = field(default_factory=dict)  # further effect cases that must hold too
