"""The prequential-MDL study's figures, tables and claims, from stored runs (mdl/spec.py).

Cumulative codelength vs examples transmitted (log x) with the uniform code beside it; bits
per label in each chunk (a learning curve in bits, log2 K marked); compression ratio vs label
corruption; and a table of codelengths beside Blier & Ollivier's Table 1.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from overfit_tui.core.schema import Field
from overfit_tui.studies.base import Figure, RunData, Series, Table
from overfit_tui.studies.claims import (
    Claim,
    Mean,
    Verdict,
    all_hold,
    arms,
    exceeds,
    pending,
    seed_of,
    too_few_seeds,
    verdict,
    within,
)
from overfit_tui.studies.replicates import point_series, replicates, scalar_series, stat

# Blier & Ollivier 2018, Table 1 (CIFAR-10: 50,000 labels, 10 classes); MNIST's ratio is about 2 %.
PAPER_CIFAR10 = {"uniform_kbits": 166.0, "codelength_kbits": 45.3}
PAPER_CIFAR10_RATIO = PAPER_CIFAR10["codelength_kbits"] / PAPER_CIFAR10["uniform_kbits"]
PAPER_MNIST_RATIO = 0.02


def _model(r: RunData) -> str:
    return r.model.label


def _uniform_series(runs: list[RunData]) -> Series | None:
    for r in runs:
        pts = r.points("chunk")
        if pts:
            xs = (0.0, *(p["x"] for p in pts))
            return Series("uniform code", xs, (0.0, *(p["values"]["uniform_cum_kbits"] for p in pts)))
    return None


def _classes(runs: list[RunData]) -> int | None:
    for r in runs:
        for p in r.points("chunk"):
            v = p["values"]
            return round(2 ** (v["uniform_cum_kbits"] * 1000 / p["x"]))
    return None


def figures(runs: list[RunData]) -> list[Figure]:
    if not any(r.points("chunk") for r in runs):
        return []
    k = _classes(runs) or 10
    uniform = _uniform_series(runs)
    cum = (*point_series(runs, "chunk", "cum_kbits"), *((uniform,) if uniform else ()))
    per = tuple(point_series(runs, "chunk", "bits_per_example"))
    out = [
        Figure("codelength", "Prequential codelength vs labels sent", "examples transmitted", "kbits", cum, xlog=True),
        Figure(
            "per_chunk",
            "Bits per label in each chunk",
            "examples transmitted (chunk end)",
            "bits / label",
            per,
            xlog=True,
            hlines=((math.log2(k), f"uniform: log2 {k}"),),
        ),
    ]
    done = [r for r in runs if r.summary.get("compression_ratio") is not None]
    if done:
        by_model: dict[str, list[RunData]] = {}
        for r in done:
            by_model.setdefault(_model(r), []).append(r)
        series = tuple(
            scalar_series(m, rs, lambda r: r.params.p, lambda r: r.summary.get("compression_ratio"))
            for m, rs in by_model.items()
        )
        refs = (
            (1.0, "uniform code"),
            (PAPER_CIFAR10_RATIO, "Blier & Ollivier CIFAR-10"),
            (PAPER_MNIST_RATIO, "Blier & Ollivier MNIST"),
        )
        out.append(
            Figure("ratio", "Compression ratio vs label corruption", "label corruption p", "ratio", series, hlines=refs)
        )
    return out


def tables(runs: list[RunData], field: Callable[[str], Field]) -> list[Table]:
    keys = ("uniform_kbits", "codelength_kbits", "compression_ratio", "last_test_acc")
    rows = [(name, *(field(k).format(stat(rs, k)) for k in keys)) for name, rs in replicates(runs)]
    if not rows:
        return []
    ratio = PAPER_CIFAR10_RATIO
    rows.append(("paper: CIFAR-10 (Blier & Ollivier, Table 1)", "166", "45.3", f"{ratio:.3f}", "-"))
    rows.append(("paper: MNIST (Blier & Ollivier)", "199", "-", f"~{PAPER_MNIST_RATIO:.2f}", "-"))
    cols = ("labels", *(field(k).header for k in keys))
    return [Table("Prequential vs uniform codelength", cols, tuple(rows), (None, *map(field, keys)))]


# -- the paper's claims (studies/claims.py), checked on a group's finished runs -------------
# true-compresses: the margin is the paper's ratio on the paper's data sets (GPU presets); on
# MNIST-1D (not in the paper) half the uniform code, fixed before measuring: the paper's
# CIFAR-10 prequential ratio is 0.27 with 50,000 labels and model switching; MNIST-1D has
# 4,000 labels (12.5x fewer: the costly early chunks weigh more) and one architecture per run,
# and the paper's weaker variational code on CIFAR-10 still reaches 89.0 / 166 = 0.54.
TRUE_RATIO_MAX = {"cifar10": PAPER_CIFAR10_RATIO, "mnist": PAPER_MNIST_RATIO, "mnist1d": 0.5}
TRUE_RATIO_DEFAULT = 0.5
RANDOM_BAND = (0.97, 1.03)  # random labels: the uniform code within 3 %, both ways
GROWS_MARGIN = 0.1  # per unit corruption: from true to random labels at least a tenth of the uniform code


def _p(r: RunData) -> float:
    return float(r.params.p)


def _ratio(r: RunData) -> float | None:
    v = r.summary.get("compression_ratio")
    return float(v) if isinstance(v, (int, float)) and math.isfinite(v) else None


def _per_model(runs: list[RunData], p: float | None = None) -> dict[str, list[RunData]]:
    out: dict[str, list[RunData]] = {}
    for r in runs:
        if p is None or _p(r) == p:
            out.setdefault(_model(r), []).append(r)
    return out


def _at(p: float, model: str | None = None):
    return lambda r: _p(r) == p and (model is None or _model(r) == model)


def _check_true(runs: list[RunData]) -> Verdict:
    """The best model's ratio per seed (choosing one of M architectures costs log2 M bits: the
    paper switches between several), its upper 95 % bound below the margin."""
    a = arms(runs, true_labels=_at(0.0))
    if isinstance(a, Verdict):
        return a
    data = a["true_labels"][0].data.name
    margin = TRUE_RATIO_MAX.get(data, TRUE_RATIO_DEFAULT)
    best: dict[tuple, float] = {}
    for r in a["true_labels"]:
        if (v := _ratio(r)) is not None:
            best[seed_of(r)] = min(best.get(seed_of(r), math.inf), v)
    m = Mean.of(best.values())
    if m is None:
        return pending("needs: a finished true-label run with a ratio")
    if (few := too_few_seeds(m.n)) is not None:
        return few
    ev = m.evidence(f"< {margin:.3g} (one-sided 95 %)", "best model's compression ratio")
    return verdict(m.upper < margin, f"best ratio {m.mean:.3f} (95 % bound {m.upper:.3f}, n={m.n})", ev.margin, ev)


def _check_random(runs: list[RunData]) -> Verdict:
    a = arms(runs, random_labels=_at(1.0))
    if isinstance(a, Verdict):
        return a
    parts = []
    for model, rs in _per_model(a["random_labels"]).items():
        vals: dict[tuple, float] = {seed_of(r): v for r in rs if (v := _ratio(r)) is not None}
        parts.append((model, within(Mean.of(vals.values()), *RANDOM_BAND, "ratio")))
    return all_hold(parts, empty="needs: finished runs")


def _check_grows(runs: list[RunData]) -> Verdict:
    levels = sorted({_p(r) for r in runs})
    if len(levels) < 2:
        return pending("needs: runs at two corruption levels or more")
    a = arms(runs, **{f"p_{lv:g}": _at(lv) for lv in levels})
    if isinstance(a, Verdict):
        return a
    done = [r for rs in a.values() for r in rs]
    parts = []
    for model, rs in _per_model(done).items():
        per_seed: dict[tuple, list[tuple[float, float]]] = {}
        for r in rs:
            if (v := _ratio(r)) is not None:
                per_seed.setdefault(seed_of(r), []).append((_p(r), v))
        slopes = [s for s in map(_slope, per_seed.values()) if s is not None]
        parts.append((model, exceeds(Mean.of(slopes), GROWS_MARGIN, "slope of ratio on p")))
    return all_hold(parts, empty="needs: finished runs")


def _slope(points: list[tuple[float, float]]) -> float | None:
    if len({x for x, _ in points}) < 2:
        return None
    mx = sum(x for x, _ in points) / len(points)
    my = sum(y for _, y in points) / len(points)
    return sum((x - mx) * (y - my) for x, y in points) / sum((x - mx) ** 2 for x, _ in points)


CLAIMS = (
    Claim(
        "true-compresses",
        "True labels compress far below the uniform code.",
        "Table 1",
        "ratio 0.27 (CIFAR-10: 45.3 of 166 kbits), ~0.02 (MNIST)",
        _check_true,
        margin="best model's ratio per seed, upper 95 % bound < the paper's ratio (CIFAR-10 0.27, MNIST 0.02); "
        "MNIST-1D: < 0.5",
        fpr=0.0,
        power=1.0,
    ),
    Claim(
        "random-incompressible",
        "Random labels do not compress: a net that fits them cannot predict the next ones.",
        "Sec. 3.3 with Zhang et al. 2017",
        "ratio ≈ 1",
        _check_random,
        margin=f"every model's ratio at p = 1 in [{RANDOM_BAND[0]:g}, {RANDOM_BAND[1]:g}] (equivalence, 90 % interval)",
        fpr=0.0,
        power=0.99,
    ),
    Claim(
        "grows-with-corruption",
        "The codelength grows with the fraction of corrupted labels.",
        "with Zhang et al. 2017 (corrupted labels)",
        "",
        _check_grows,
        margin=f"every model: per-seed slope of the ratio on p, lower 95 % bound > {GROWS_MARGIN:g}",
        fpr=0.0,
        power=1.0,
    ),
)
