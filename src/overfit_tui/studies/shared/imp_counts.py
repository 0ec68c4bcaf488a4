"""How many weights iterative magnitude pruning keeps (no torch): the counts are exact, so the
fraction left after k rounds is known before anything trains. The lottery study's description
labels its runs with it when a group expands; studies/shared/pruning.py prunes by the same count."""

from __future__ import annotations

import math


def keep_count(n: int, rate: float) -> int:
    """A layer keeping n weights prunes round(rate * n) of them (halves up), never more."""
    return n - math.floor(rate * n + 0.5)


def expected_remaining(sizes: list[tuple[str, int]], rates: dict[str, float], rounds: int, strategy: str) -> float:
    """The fraction left after `rounds` IMP rounds of layers `sizes` ((kind, entries) in module
    order), pruned layerwise at their kind's rate, or globally over the non-output layers."""
    if strategy == "global":
        hidden = sum(n for kind, n in sizes if kind != "output")
        groups = [(hidden, rates["fc"]), *((n, rates["output"]) for kind, n in sizes if kind == "output")]
    else:
        groups = [(n, rates[kind]) for kind, n in sizes]
    kept = 0
    for n, rate in groups:
        for _ in range(rounds):
            n = keep_count(n, rate)
        kept += n
    return kept / sum(n for _, n in sizes)
