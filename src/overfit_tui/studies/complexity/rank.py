"""Rank statistics the figures and claims share (no torch): Kendall's tau-b, Jiang et al.
2020's granulated tau, and a permutation null band for either.

Jiang et al.'s granulated Kendall coefficient (their Eq. 4-5): for hyperparameter i, split the
runs into groups that agree on every other hyperparameter (here also the seed: replicates are
not pooled), compute tau(measure, gap) within each group where only theta_i varies, and
average over groups: psi_i. Psi is the mean of psi_i over the hyperparameters that vary.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence


def kendall_tau_b(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Kendall's tau-b: (concordant - discordant) / sqrt((n0 - ties_x)(n0 - ties_y)) over all
    pairs, a pair tied in x or y counting in neither; None where either side is constant or
    fewer than 2 points (no ranking to compare). O(n^2): the sweeps have tens of runs."""
    n = len(xs)
    if n != len(ys):
        raise ValueError("xs and ys differ in length")
    conc = disc = tx = ty = 0
    for i in range(n):
        for j in range(i + 1, n):
            dx, dy = xs[i] - xs[j], ys[i] - ys[j]
            if dx == 0 and dy == 0:
                tx += 1
                ty += 1
            elif dx == 0:
                tx += 1
            elif dy == 0:
                ty += 1
            elif (dx > 0) == (dy > 0):
                conc += 1
            else:
                disc += 1
    n0 = n * (n - 1) // 2
    denom = math.sqrt((n0 - tx) * (n0 - ty))
    return (conc - disc) / denom if denom else None


Row = tuple[dict, float, float]  # (hyperparameters incl. "seed", measure, gap)


def granulated(rows: Sequence[Row], hyper: Sequence[str]) -> dict[str, float | None]:
    """psi_i per hyperparameter that varies (None where no group has two values of it), and
    'all': their mean (Jiang et al.'s Psi)."""
    out: dict[str, float | None] = {}
    for h in hyper:
        groups: dict[tuple, list[tuple[float, float]]] = {}
        for hp, m, g in rows:
            key = tuple(sorted((k, v) for k, v in hp.items() if k != h))
            groups.setdefault(key, []).append((m, g))
        taus = []
        for pts in groups.values():
            if len({m for m, _ in pts}) > 1 or len({g for _, g in pts}) > 1:
                t = kendall_tau_b([m for m, _ in pts], [g for _, g in pts]) if len(pts) > 1 else None
                taus.append(0.0 if t is None else t)  # a constant measure where the gap varies ranks nothing
        if len({hp[h] for hp, _, _ in rows}) > 1 and taus:
            out[h] = sum(taus) / len(taus)
    vals = [v for v in out.values() if v is not None]
    out["all"] = sum(vals) / len(vals) if vals else None
    return out


def null_band(
    rows: Sequence[Row],
    stat: Callable[[Sequence[Row]], float | None],
    within: Callable[[dict], tuple] | None = None,
    draws: int = 200,
    seed: int = 0,
    q: float = 0.95,
) -> float | None:
    """The q-quantile of `stat` over `draws` permutations of the gap across runs (within the
    blocks `within(hp)` names, e.g. a corruption level, so the null keeps what a block fixes):
    a measure ranks the gap only if its statistic exceeds this."""
    rng = random.Random(seed)
    blocks: dict[tuple, list[int]] = {}
    for i, (hp, _, _) in enumerate(rows):
        blocks.setdefault(within(hp) if within else (), []).append(i)
    vals = []
    for _ in range(draws):
        gaps = [g for _, _, g in rows]
        for idx in blocks.values():
            sh = [gaps[i] for i in idx]
            rng.shuffle(sh)
            for i, g in zip(idx, sh, strict=True):
                gaps[i] = g
        v = stat([(hp, m, g) for (hp, m, _), g in zip(rows, gaps, strict=True)])
        if v is not None:
            vals.append(v)
    if not vals:
        return None
    vals.sort()
    return vals[min(len(vals) - 1, int(math.ceil(q * len(vals))) - 1)]
