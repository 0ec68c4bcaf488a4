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

import numpy as np


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


def blocks(rows: Sequence[Row], hyper: Sequence[str]) -> dict[str, list[list[int]]]:
    """Per hyperparameter that varies, the index groups of rows that agree on every other one."""
    out: dict[str, list[list[int]]] = {}
    for h in hyper:
        if len({hp[h] for hp, _, _ in rows}) < 2:
            continue
        groups: dict[tuple, list[int]] = {}
        for i, (hp, _, _) in enumerate(rows):
            groups.setdefault(tuple(sorted((k, v) for k, v in hp.items() if k != h)), []).append(i)
        out[h] = list(groups.values())
    return out


def psi(groups: dict[str, list[list[int]]], ms: Sequence[float], gs: Sequence[float]) -> dict[str, float | None]:
    """psi_i from precomputed `blocks` and the measure and gap of every row; 'all' their mean."""
    out: dict[str, float | None] = {}
    for h, idx in groups.items():
        taus = []
        for grp in idx:
            m, g = [ms[i] for i in grp], [gs[i] for i in grp]
            if len(grp) > 1 and (len(set(m)) > 1 or len(set(g)) > 1):
                t = kendall_tau_b(m, g)
                taus.append(0.0 if t is None else t)  # a constant measure where the gap varies ranks nothing
        if taus:
            out[h] = sum(taus) / len(taus)
    vals = [v for v in out.values() if v is not None]
    out["all"] = sum(vals) / len(vals) if vals else None
    return out


def granulated(rows: Sequence[Row], hyper: Sequence[str]) -> dict[str, float | None]:
    """psi_i per hyperparameter that varies (absent where none varies alone in any group), and
    'all': their mean (Jiang et al.'s Psi)."""
    return psi(blocks(rows, hyper), [m for _, m, _ in rows], [g for _, _, g in rows])


def psi_null(
    rows: Sequence[Row],
    hyper: Sequence[str],
    key: str = "all",
    draws: int = 200,
    seed: int = 0,
    q: float = 0.95,
    within: Callable[[dict], tuple] | None = None,
) -> float | None:
    """The q-quantile of psi[key] with the gap permuted (across all runs, or within `within`'s blocks):
    `null_band` for the granulated tau, with the groups computed once."""
    groups = blocks(rows, hyper)
    ms = [m for _, m, _ in rows]
    gaps = np.array(list(_perms(rows, within, draws, seed)), dtype=float).reshape(draws, len(rows))
    vals = sorted(float(v) for v in _psi_draws(groups, ms, gaps, key) if not math.isnan(v))
    return vals[min(len(vals) - 1, math.ceil(q * len(vals)) - 1)] if vals else None


def _psi_draws(groups: dict[str, list[list[int]]], ms: Sequence[float], gaps: np.ndarray, key: str) -> np.ndarray:
    """`psi(groups, ms, g).get(key)` for every row g of `gaps` [draws, runs] at once (NaN for None):
    the same pair counts as kendall_tau_b, the measure's pair signs computed once per block, the
    taus summed in the same order (so each draw's value equals psi's to the last bit)."""
    m = np.asarray(ms, dtype=float)
    draws = gaps.shape[0]
    per_h: dict[str, np.ndarray] = {}
    for h, idx in groups.items():
        total, count = np.zeros(draws), np.zeros(draws, dtype=int)
        for grp in idx:
            if len(grp) < 2:
                continue
            i, j = np.triu_indices(len(grp), 1)
            sx = np.sign(m[grp][i] - m[grp][j])  # [pairs]
            g = gaps[:, grp]
            sy = np.sign(g[:, i] - g[:, j])  # [draws, pairs]
            n0 = len(i)
            tx, ty = int(np.count_nonzero(sx == 0)), np.count_nonzero(sy == 0, axis=1)
            denom = np.sqrt((n0 - tx) * (n0 - ty))
            tau = np.divide(sy @ sx, denom, out=np.zeros(draws), where=denom > 0)
            ranked = (len(set(m[grp].tolist())) > 1) | (g != g[:, :1]).any(axis=1)
            total = np.where(ranked, total + tau, total)
            count += ranked
        per_h[h] = np.where(count > 0, total / np.maximum(count, 1), np.nan)
    if key != "all":
        return per_h.get(key, np.full(draws, np.nan))
    total, count = np.zeros(draws), np.zeros(draws, dtype=int)
    for v in per_h.values():
        ok = ~np.isnan(v)
        total = np.where(ok, total + np.where(ok, v, 0.0), total)
        count += ok
    return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def _perms(rows: Sequence[Row], within, draws: int, seed: int):
    rng = random.Random(seed)
    part: dict[tuple, list[int]] = {}
    for i, (hp, _, _) in enumerate(rows):
        part.setdefault(within(hp) if within else (), []).append(i)
    for _ in range(draws):
        gaps = [g for _, _, g in rows]
        for idx in part.values():
            sh = [gaps[i] for i in idx]
            rng.shuffle(sh)
            for i, g in zip(idx, sh, strict=True):
                gaps[i] = g
        yield gaps


def _quantile(perms, stat, q: float) -> float | None:
    vals = sorted(v for v in (stat(gs) for gs in perms) if v is not None)
    return vals[min(len(vals) - 1, math.ceil(q * len(vals)) - 1)] if vals else None


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
    stat_of = lambda gs: stat([(hp, m, g) for (hp, m, _), g in zip(rows, gs, strict=True)])
    return _quantile(_perms(rows, within, draws, seed), stat_of, q)
